"""Roster import (MGMT-4): headers with aliases, per-row checks, all-or-nothing, idempotent, scoped by county."""

from __future__ import annotations

from datetime import date

import pytest

from guopei.core.models import AuditEvent, Job
from guopei.core.spreadsheets import read_table
from guopei.orgs.tests.factories import SchoolFactory
from guopei.teachers import roster_import as roster_module
from guopei.teachers.models import Teacher
from guopei.teachers.roster_import import ImportFailed, roster_import, roster_template
from guopei.teachers.services import roster_import_start

from .corpus import BAD_FILES, HEADERS, csv_bytes, roster_row, xlsx


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(user, name_and_data):
        name, data = name_and_data
        with django_capture_on_commit_callbacks(execute=True):
            job = roster_import_start(actor=user, filename=name, content=data)
        job.refresh_from_db()
        return job

    return _run


def _snapshot():
    return list(Teacher.objects.order_by("pk").values_list("pk", "name", "school_id", "phone", "updated_at"))


def test_mgmt4_roster_import_creates_teachers_with_derived_fields(county_admin, school, run):
    rows = [roster_row(school.code, n) for n in range(5)]
    rows.append(roster_row(school.code, 5, name="曾小红", gender="女", birth=date(1992, 2, 29)))
    job = run(county_admin, xlsx(rows))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"rows": 6, "created": 6, "updated": 0, "unchanged": 0}
    teacher = Teacher.objects.get(name="曾小红")
    assert teacher.gender == "F" and teacher.birth_date == date(1992, 2, 29)
    assert teacher.name_pinyin == "zengxiaohong"
    assert teacher.region_code == "140105" and teacher.segment == "primary" and teacher.backbone_level == "county"
    assert teacher.phone_plain == "13900000005"
    assert AuditEvent.objects.filter(action="teachers.roster_import", detail__created=6).count() == 1


def test_id_number_of_a_county_created_after_birth_is_accepted(county_admin, school, run):
    """小店区 exists since 1997; a person born there in 1990 got the number later (DESIGN.md, domain notes)."""
    row = roster_row(school.code, 1, 身份证号="140105199003151234", 出生日期="1990-03-15", 性别="男")
    job = run(county_admin, xlsx([row]))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert Teacher.objects.get().id_number_plain == "140105199003151234"


def test_reimporting_the_same_file_changes_nothing(county_admin, school, run):
    file = xlsx([roster_row(school.code, n) for n in range(4)])
    run(county_admin, file)
    before = _snapshot()
    job = run(county_admin, file)
    assert job.result == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4}
    assert _snapshot() == before


def test_row_matching_an_existing_id_number_updates_the_teacher(county_admin, school, run):
    run(county_admin, xlsx([roster_row(school.code, n) for n in range(3)]))
    other = SchoolFactory(county_id="140105", kind="junior")
    rows = [roster_row(school.code, 0), roster_row(other.code, 1, 学段="初中", 手机号="13700000000"),
            roster_row(school.code, 2)]
    job = run(county_admin, xlsx(rows))
    assert job.result == {"rows": 3, "created": 0, "updated": 1, "unchanged": 2}
    moved = Teacher.objects.get(school=other)
    assert moved.segment == "junior" and moved.phone_plain == "13700000000"
    assert Teacher.objects.count() == 3


def test_headers_in_any_order_with_aliases_and_csv_in_gb18030(county_admin, school, run):
    headers = ["证件号码", "教师姓名", "学校代码", "手机号码"]
    rows = [[r[1], r[0], r[5], r[4]] for r in (roster_row(school.code, n) for n in range(3))]
    job = run(county_admin, csv_bytes(rows, headers, encoding="gb18030"))
    assert job.state == Job.State.SUCCEEDED, job.error
    teacher = Teacher.objects.order_by("pk").first()
    assert teacher.segment == school.kind and teacher.title == "未定级" and teacher.status == "active"


def test_county_admin_cannot_import_into_another_county_and_nothing_is_saved(county_admin, school, other_school,
                                                                              run):
    job = run(county_admin, xlsx([roster_row(school.code, 1), roster_row(other_school.code, 2)]))
    assert job.state == Job.State.FAILED
    assert Teacher.objects.count() == 0


def test_city_admin_imports_into_the_counties_of_their_city(city_admin, school, run):
    other_in_city = SchoolFactory(county_id="140106")
    job = run(city_admin, xlsx([roster_row(school.code, 1), roster_row(other_in_city.code, 2)]))
    assert job.state == Job.State.SUCCEEDED, job.error


def test_import_cannot_move_a_teacher_across_counties(province_admin, school, other_school, run):
    run(province_admin, xlsx([roster_row(school.code, 1)]))
    job = run(province_admin, xlsx([roster_row(other_school.code, 1)]))
    assert job.state == Job.State.FAILED
    errors = read_table(job.result_file.read(), "e.xlsx")
    assert "教师调动" in errors.rows[0][3]
    assert Teacher.objects.get().school == school


def test_wrong_role_cannot_start_an_import(school_admin, teacher_user, school):
    from django.core.exceptions import PermissionDenied

    for user in (school_admin, teacher_user):
        with pytest.raises(PermissionDenied):
            roster_import_start(actor=user, filename="r.xlsx", content=b"x")


def test_template_has_every_column_and_text_id_column():
    table = read_table(roster_template(), "template.xlsx")
    assert table.headers == HEADERS
    assert table.rows[0][1] == "140105199003151234"


@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.label for b in BAD_FILES])
def test_bad_file_corpus_gets_a_chinese_message_and_changes_nothing(bad, county_admin, school, other_school, run):
    run(county_admin, xlsx([roster_row(school.code, 40)]))
    before = _snapshot()
    events = AuditEvent.objects.filter(action="teachers.roster_import").count()
    job = run(county_admin, bad.build(school.code, other_school.code))
    assert job.state == Job.State.FAILED
    assert bad.message in job.error, job.error
    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="teachers.roster_import").count() == events
    if bad.row_reason:
        assert job.result_file, "row errors come with a downloadable error file"
        errors = read_table(job.result_file.read(), "errors.xlsx")
        assert errors.headers == ["行号", "列", "填写内容", "错误原因"]
        assert any(bad.row_reason in str(row[3]) for row in errors.rows), errors.rows
        assert all(len(str(row[2])) <= 101 for row in errors.rows)


def test_corpus_has_at_least_fifteen_files():
    assert len(BAD_FILES) >= 15


def test_an_import_failing_midway_leaves_nothing_and_a_rerun_succeeds(county_admin, school, run, monkeypatch):
    monkeypatch.setattr(roster_module, "BATCH", 2)
    file = xlsx([roster_row(school.code, n) for n in range(7)])
    real = roster_module.insert_rows
    calls = {"n": 0}

    def dies_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("进程被终止")
        return real(*args, **kwargs)

    monkeypatch.setattr(roster_module, "insert_rows", dies_on_third_batch)
    job = run(county_admin, file)
    assert job.state == Job.State.FAILED and "已撤销" in job.error
    assert calls["n"] == 3
    assert Teacher.objects.count() == 0
    monkeypatch.setattr(roster_module, "insert_rows", real)
    job = run(county_admin, file)
    assert job.state == Job.State.SUCCEEDED
    assert Teacher.objects.count() == 7


def test_importer_reports_row_numbers_of_the_sheet(county_admin, school):
    rows = [roster_row(school.code, 1), roster_row(school.code, 2, 性别="女")]
    name, data = xlsx(rows)
    with pytest.raises(ImportFailed) as failure:
        roster_import(data=data, filename=name, actor=county_admin)
    assert [(e.row, e.column) for e in failure.value.errors.items] == [(3, "性别")]


def test_big_files_are_checked_in_worker_processes_with_the_same_result(county_admin, school, monkeypatch):
    monkeypatch.setattr(roster_module, "PARALLEL_MIN_ROWS", 1)
    rows = [roster_row(school.code, n) for n in range(9)]
    rows.append(roster_row(school.code, 3))  # a duplicate found across chunks
    rows.append(roster_row(school.code, 12, 性别="女"))
    name, data = xlsx(rows)
    with pytest.raises(ImportFailed) as failure:
        roster_import(data=data, filename=name, actor=county_admin)
    assert [(e.row, e.column) for e in failure.value.errors.items] == [(11, "身份证号"), (12, "性别")]
    name, data = xlsx(rows[:9])
    outcome = roster_import(data=data, filename=name, actor=county_admin)
    assert outcome.created == 9
    assert Teacher.objects.get(name=rows[4][0]).id_number_plain == rows[4][1]
