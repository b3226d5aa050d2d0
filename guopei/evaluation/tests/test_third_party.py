"""Third-party evaluation (第三方评估, MGMT-7): the XLSX import — good file, row errors, all-or-nothing, re-import."""

from __future__ import annotations

from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from guopei.core.jobs import job_start
from guopei.core.models import AuditEvent, Job
from guopei.core.spreadsheets import write_xlsx
from guopei.evaluation.jobs import HEADERS, MSG_DUPLICATE, THIRD_PARTY_IMPORT, template_xlsx
from guopei.evaluation.models import ThirdPartyBatch, ThirdPartyScore
from guopei.orgs.tests.factories import InstitutionFactory

from .factories import project_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(province_admin, institution):
    other = InstitutionFactory(name="太原师范学院")
    return {"p1": project_for(province_admin, 2020, "P01"), "p2": project_for(province_admin, 2020, "P02"),
            "a": institution, "b": other}


def run(user, rows, capture, year=2020, filename="评估得分.xlsx"):
    content = write_xlsx(HEADERS, rows)
    with capture(execute=True):
        job = job_start(kind=THIRD_PARTY_IMPORT, title="导入第三方评估", owner=user,
                        params={"year": year, "agency": "示例教育评估院", "filename": filename},
                        input_name=filename, input_content=content)
    job.refresh_from_db()
    return job


def good_rows(world):
    return [[world["a"].name, "P01", "", 45, 50, "组织规范"],
            [world["b"].name, "P02", "140105", 80, "", ""]]


def test_mgmt7_third_party_scores_import(world, province_admin, django_capture_on_commit_callbacks):
    job = run(province_admin, good_rows(world), django_capture_on_commit_callbacks)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"created": 2, "updated": 0, "unchanged": 0, "duplicate": 0}
    a = ThirdPartyScore.objects.get(institution=world["a"])
    assert (a.score, a.max_score, a.region_code, a.year) == (Decimal("45.00"), Decimal("50.00"), "140000", 2020)
    b = ThirdPartyScore.objects.get(institution=world["b"])
    assert (b.score, b.max_score, b.region_code) == (Decimal("80.00"), Decimal("100.00"), "140105")
    event = AuditEvent.objects.get(action="evaluation.third_party_import")
    assert event.detail["created"] == 2


def test_mgmt7_third_party_import_is_all_or_nothing_with_row_errors(world, province_admin,
                                                                   django_capture_on_commit_callbacks):
    rows = [*good_rows(world), ["不存在的机构", "P09", "999999", 120, 100, ""],
            [world["a"].name, "P01", "", 40, 50, ""]]
    job = run(province_admin, rows, django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert "5 处错误" in job.error
    assert not ThirdPartyScore.objects.exists() and not ThirdPartyBatch.objects.exists()
    with job.result_file.open("rb") as handle:
        sheet = CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0).to_python()
    reasons = {(int(r[0]), r[1]) for r in sheet[1:]}
    assert reasons == {(4, "机构名称"), (4, "项目编号"), (4, "县区代码"), (4, "得分"), (5, "项目编号")}
    assert [r[3] for r in sheet[1:] if int(r[0]) == 5] == ["与第2行是同一机构、项目和县区。"]


def test_mgmt7_score_above_maximum_is_a_row_error(world, province_admin, django_capture_on_commit_callbacks):
    job = run(province_admin, [[world["a"].name, "P01", "", 60, 50, ""]], django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    with job.result_file.open("rb") as handle:
        sheet = CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0).to_python()
    assert sheet[1][1:] == ["得分", "60", "得分不能超过满分。"]


def test_mgmt7_third_party_reimport_is_idempotent_and_updates_by_lot(world, province_admin,
                                                                    django_capture_on_commit_callbacks):
    run(province_admin, good_rows(world), django_capture_on_commit_callbacks)
    again = run(province_admin, good_rows(world), django_capture_on_commit_callbacks)
    assert again.state == Job.State.SUCCEEDED and again.message == MSG_DUPLICATE
    assert ThirdPartyBatch.objects.count() == 1 and ThirdPartyScore.objects.count() == 2
    changed = good_rows(world)
    changed[0][3] = 48
    third = run(province_admin, changed, django_capture_on_commit_callbacks)
    assert third.result == {"created": 0, "updated": 1, "unchanged": 1, "duplicate": 0}
    assert ThirdPartyScore.objects.get(institution=world["a"]).score == Decimal("48.00")


def test_mgmt7_third_party_template_has_the_columns_and_notes():
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(template_xlsx()))
    assert book.get_sheet_by_index(0).to_python()[0] == HEADERS
    assert "填写说明" in book.sheet_names
