"""Item 7: the project-table import — template, good file, every bad case, all-or-nothing, re-import."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from guopei.core.jobs import job_start
from guopei.core.models import AuditEvent, Job
from guopei.core.spreadsheets import clean_cell, write_xlsx
from guopei.orgs.models import Region
from guopei.plans import services
from guopei.plans.jobs import COUNTY_IMPORT, PROJECT_IMPORT
from guopei.plans.models import Project, ProjectCounty
from guopei.plans.project_table import HEADERS, NOTES

from .factories import make_plan

BASE = {h: "" for h in HEADERS}


def row(**values):
    data = dict(BASE)
    data.update({"项目类别": "乡村中小学教师专业能力建设", "培训形式": "集中面授", "培训天数": 10, "总学时": 80,
                 "集中研修学时": 80, "培训人数": 100, "经费标准（元/人/天）": 400, "学段": "小学、初中",
                 "岗位": "教师"})
    data.update(values)
    return [data[h] for h in HEADERS]


def good_rows():
    return [
        row(项目编号="GP2020-01", 项目名称="乡村小学语文骨干教师培训", 学科="语文", 仅限乡村学校="是",
            实施县区代码="140105、140106"),
        row(项目编号="GP2020-02", 项目类别="幼儿园新入职教师规范化培训", 项目名称="幼儿园新入职教师规范化培训",
            学段="幼儿园", 培训人数="", 经费标准="", 培训天数=0, 总学时=0, 集中研修学时=""),
        row(项目编号="GP2020-02-1", 项目类别="幼儿园新入职教师规范化培训", 项目名称="幼儿园新入职教师规范化培训",
            子项目名称="太原片区", 上级项目编号="GP2020-02", 学段="幼儿园", 入职年限内=3, 培训人数=60,
            培训天数=5, 总学时=40, 集中研修学时=20, 跟岗培训学时=20, 培训形式="混合式"),
        row(项目编号="GP2020-02-2", 项目类别="幼儿园新入职教师规范化培训", 项目名称="幼儿园新入职教师规范化培训",
            子项目名称="大同片区", 上级项目编号="GP2020-02", 学段="幼儿园", 培训人数=40, 培训天数=5, 总学时=40,
            集中研修学时=40, 开始日期="2020-09-01", 结束日期="2020-09-05"),
    ]


def xlsx(rows, headers=HEADERS):
    return write_xlsx(headers, rows, notes=NOTES)


def run_import(plan, user, content, capture, filename="规划表.xlsx"):
    with capture(execute=True):
        job = job_start(kind=PROJECT_IMPORT, title="导入项目规划表", owner=user, params={"plan_id": plan.pk,
                        "filename": filename}, input_name=filename, input_content=content)
    job.refresh_from_db()
    return job


def error_rows(job):
    with job.result_file.open("rb") as handle:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(handle.read())).get_sheet_by_index(0).to_python()
    return [tuple(str(clean_cell(c)) for c in r) for r in sheet[1:]]


@pytest.fixture
def plan(province_admin):
    return make_plan(province_admin)


def test_import_good_file_creates_projects(plan, province_admin, django_capture_on_commit_callbacks):
    job = run_import(plan, province_admin, xlsx(good_rows()), django_capture_on_commit_callbacks)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"created": 4, "updated": 0, "unchanged": 0}
    p1 = Project.objects.get(code="GP2020-01")
    assert p1.target_subjects == ["语文"] and p1.rural_only and p1.target_segments == ["primary", "junior"]
    assert sorted(p1.counties.values_list("code", flat=True)) == ["140105", "140106"]
    assert p1.budget == Decimal("400000.00") and not p1.budget_is_explicit
    parent = Project.objects.get(code="GP2020-02")
    assert parent.quota == 100 and parent.budget == Decimal("200000.00")
    child = Project.objects.get(code="GP2020-02-1")
    assert child.parent == parent and child.name == "太原片区" and child.hired_within_years == 3
    assert dict(child.components.values_list("kind", "hours")) == {"face_to_face": 20, "job_shadowing": 20}
    assert AuditEvent.objects.filter(action="plans.projects_import").count() == 1


def test_import_same_file_twice_changes_nothing(plan, province_admin, django_capture_on_commit_callbacks):
    content = xlsx(good_rows())
    run_import(plan, province_admin, content, django_capture_on_commit_callbacks)
    stamps = dict(Project.objects.values_list("code", "updated_at"))
    job = run_import(plan, province_admin, content, django_capture_on_commit_callbacks)
    assert job.state == Job.State.SUCCEEDED
    assert job.result == {"created": 0, "updated": 0, "unchanged": 4}
    assert dict(Project.objects.values_list("code", "updated_at")) == stamps


def test_import_changed_row_updates_by_code(plan, province_admin, django_capture_on_commit_callbacks):
    run_import(plan, province_admin, xlsx(good_rows()), django_capture_on_commit_callbacks)
    rows = good_rows()
    rows[0] = row(项目编号="GP2020-01", 项目名称="乡村小学语文骨干教师培训", 学科="语文", 仅限乡村学校="是",
                  实施县区代码="140105、140106", 培训人数=120)
    job = run_import(plan, province_admin, xlsx(rows), django_capture_on_commit_callbacks)
    assert job.result == {"created": 0, "updated": 1, "unchanged": 3}
    assert Project.objects.get(code="GP2020-01").quota == 120


BAD_CASES = {
    "unknown_county": (dict(实施县区代码="149999"), "实施县区代码", "未知的县区代码"),
    "negative_quota": (dict(培训人数=-5), "培训人数", "不能为负数"),
    "hours_above_days": (dict(培训天数=5, 总学时=80), "总学时", "超过培训天数"),
    "components_mismatch": (dict(集中研修学时=60), "总学时", "各环节学时合计60"),
    "unknown_category": (dict(项目类别="不存在的类别"), "项目类别", "不在项目类别目录中"),
    "it20_practice": (dict(信息技术2_0=None), "返岗实践学时", "PLAN-5"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_import_bad_row_gives_error_file_and_saves_nothing(case, plan, province_admin,
                                                           django_capture_on_commit_callbacks):
    values, column, reason = BAD_CASES[case]
    if case == "it20_practice":
        values = {"信息技术2.0项目": "是", "总学时": 50, "集中研修学时": 30, "网络研修学时": 20, "培训天数": 10}
    rows = good_rows()
    rows.append(row(项目编号="BAD-1", 项目名称="有问题的一行", **values))
    job = run_import(plan, province_admin, xlsx(rows), django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert "未导入任何数据" in job.error
    errors = error_rows(job)
    assert any(e[0] == "6" and e[1] == column and reason in e[3] for e in errors), errors
    assert not Project.objects.exists()


def test_import_duplicated_code(plan, province_admin, django_capture_on_commit_callbacks):
    rows = good_rows()
    rows.append(row(项目编号="GP2020-01", 项目名称="重复"))
    job = run_import(plan, province_admin, xlsx(rows), django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert ("6", "项目编号", "GP2020-01", "项目编号与第2行重复。") in error_rows(job)
    assert not Project.objects.exists()


def test_import_wrong_headers(plan, province_admin, django_capture_on_commit_callbacks):
    headers = [h if h != "培训人数" else "人数" for h in HEADERS]
    job = run_import(plan, province_admin, xlsx(good_rows(), headers), django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    errors = error_rows(job)
    assert ("1", "培训人数", "", "缺少此列，请使用下载的模板。") in errors
    assert ("1", "人数", "人数", "模板中没有此列，请使用下载的模板。") in errors
    assert not Project.objects.exists()


def test_import_service_level_error_rolls_back_earlier_rows(plan, province_admin,
                                                            django_capture_on_commit_callbacks):
    # Restricted to project counties, but the year's list is empty: the service refuses that row, so the
    # valid rows before it are not saved either.
    rows = good_rows()
    rows.append(row(项目编号="GP2020-09", 项目名称="项目区县专项", 仅限项目区县="是"))
    job = run_import(plan, province_admin, xlsx(rows), django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert any(e[0] == "6" and "尚未设定国培项目区县名单" in e[3] for e in error_rows(job))
    assert not Project.objects.exists()


def test_import_into_published_plan_refused(published_plan, province_admin, django_capture_on_commit_callbacks):
    job = run_import(published_plan, province_admin, xlsx(good_rows()), django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert job.error == services.ERR_NOT_EDITABLE
    assert published_plan.projects.count() == 1


def test_import_unreadable_file(plan, province_admin, django_capture_on_commit_callbacks):
    job = run_import(plan, province_admin, b"not a spreadsheet", django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED and "Excel" in job.error


def county_rows():
    return [["140105", "小店区", "是", "否", ""], ["140106", "迎泽区", "是", "是", ""],
            ["140213", "平城区", "否", "是", "信息化试点"]]


def run_county_import(user, content, capture, year=2020):
    with capture(execute=True):
        job = job_start(kind=COUNTY_IMPORT, title="导入项目区县", owner=user,
                        params={"year": year, "filename": "名单.xlsx"}, input_name="名单.xlsx",
                        input_content=content)
    job.refresh_from_db()
    return job


def test_plan3_county_list_import_and_reimport(province_admin, django_capture_on_commit_callbacks):
    from guopei.plans.jobs import COUNTY_HEADERS

    content = write_xlsx(COUNTY_HEADERS, county_rows())
    job = run_county_import(province_admin, content, django_capture_on_commit_callbacks)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["created"] == 3
    assert set(ProjectCounty.objects.filter(is_programme=True).values_list("county_id", flat=True)) == {
        "140105", "140106"}
    assert set(ProjectCounty.objects.filter(is_it20=True).values_list("county_id", flat=True)) == {
        "140106", "140213"}
    again = run_county_import(province_admin, content, django_capture_on_commit_callbacks)
    assert again.result == {"created": 0, "updated": 0, "removed": 0, "projects_synced": 0}


def test_plan3_county_list_import_bad_rows(province_admin, django_capture_on_commit_callbacks):
    from guopei.plans.jobs import COUNTY_HEADERS

    rows = [*county_rows(), ["149999", "无", "是", "否", ""], ["140105", "小店区", "是", "否", ""],
            ["140107", "杏花岭区", "否", "否", ""]]
    job = run_county_import(province_admin, write_xlsx(COUNTY_HEADERS, rows), django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    reasons = {(e[0], e[1]) for e in error_rows(job)}
    assert {("5", "县区代码"), ("6", "县区代码"), ("7", "国培项目区县")} <= reasons
    assert not ProjectCounty.objects.exists()
    assert Region.objects.filter(code="140107").exists()
