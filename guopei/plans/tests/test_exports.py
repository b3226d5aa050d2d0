"""Item 7: the published plan as XLSX (re-importable) and as PDF whose text extracts as the right Chinese."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from guopei.core.jobs import job_start
from guopei.core.models import Job
from guopei.core.spreadsheets import read_table
from guopei.plans import exports, services
from guopei.plans.jobs import PROJECT_IMPORT
from guopei.plans.project_table import HEADERS

from .factories import KG_NEW, make_project


@pytest.fixture
def plan(published_plan, province_admin, finance_officer):
    services.plan_revise(plan=published_plan, actor=province_admin, reason="增加幼师项目")
    make_project(published_plan, province_admin, "P02", category=KG_NEW, name="幼儿园新入职教师规范化培训",
                 target_segments=["kindergarten"], hired_within_years=3)
    from .factories import publish

    return publish(published_plan, province_admin, finance_officer)


def test_pdf_text_extracts_as_chinese(plan, province_admin):
    content = exports.plan_pdf(plan, province_admin)
    assert content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    compact = "".join(text.split())
    assert "2020年国培计划项目规划" in compact
    assert "晋教师〔2020〕12号" in compact
    assert "幼儿园新入职教师规范化培训" in compact
    assert "乡村中小学教师专业能力建设" in compact
    assert "入职3年内" in compact
    assert "已发布" in compact


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_extracts_with_pdftotext(plan, province_admin, tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(exports.plan_pdf(plan, province_admin))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "教育厅审核" in text and "财政厅会签" in text


def test_xlsx_export_has_appendix_columns(plan, province_admin):
    table = read_table(exports.plan_xlsx(plan, province_admin), "plan.xlsx")
    assert table.headers == HEADERS
    by_code = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in table.rows}
    assert by_code["P02"]["项目类别"] == KG_NEW and by_code["P02"]["入职年限内"] == 3
    assert by_code["P01"]["项目预算（元）"] == 400000


def test_exported_xlsx_reimports_without_changes(plan, province_admin, django_capture_on_commit_callbacks):
    content = exports.plan_xlsx(plan, province_admin)
    services.plan_revise(plan=plan, actor=province_admin, reason="核对")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=PROJECT_IMPORT, title="导入", owner=province_admin,
                        params={"plan_id": plan.pk, "filename": "plan.xlsx"}, input_name="plan.xlsx",
                        input_content=content)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"created": 0, "updated": 0, "unchanged": 2}


def test_funds_xlsx(plan, province_admin):
    from decimal import Decimal

    services.commitment_record(project=plan.projects.get(code="P01"), amount=Decimal("1234.5"), payee="甲",
                               reference="合同", actor=province_admin)
    table = read_table(exports.funds_xlsx(plan), "funds.xlsx")
    p01 = next(r for r in table.rows if r[0] == "P01")
    assert p01[6] == 1234.5
    total = next(r for r in table.rows if r[1] == "小计：合计")
    assert total[5] == 800000
