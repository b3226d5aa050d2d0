"""Participation history import (MGMT-4, MGMT-6): caps and hours work from day one, bans from past results."""

from __future__ import annotations

from datetime import date

import pytest

from guopei.core.models import Job
from guopei.core.spreadsheets import read_table
from guopei.teachers.history_import import HISTORY_COLUMNS, history_template
from guopei.teachers.models import IntegrityEntry, Participation, RecognisedHours
from guopei.teachers.services import history_import_start

from .corpus import xlsx
from .factories import TeacherFactory

HEADERS = [c.label for c in HISTORY_COLUMNS]


def row(id_number, year, project="", result="", hours=0, practice=0, ended="", kind="", institution="山西师范大学",
        name="", note=""):
    return [id_number, name, kind, year, project, institution if project else "", result, hours, practice, ended,
            note]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(user, rows):
        name, data = xlsx(rows, HEADERS)
        with django_capture_on_commit_callbacks(execute=True):
            job = history_import_start(actor=user, filename=name, content=data)
        job.refresh_from_db()
        return job

    return _run


@pytest.fixture
def teacher(db, school):
    return TeacherFactory(school=school, name="张晓明", plain_id="140105199003151234")


def test_mgmt6_history_import_records_participations_hours_and_bans(county_admin, teacher, run):
    rows = [
        row("140105199003151234", 2016, "乡村教师访名校研修", "结业", 80, 20, "2016-07-20", name="张晓明"),
        row("140105199003151234", 2018, "乡村教师工作坊研修", "未报到", ended="2018-06-10"),
        row("140105199003151234", 2019, "送教下乡", "未结业", 40, 0, "2019-12-30"),
        row("140105199003151234", 2019, hours=40, note="校本研修"),
    ]
    job = run(county_admin, rows)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"rows": 4, "created": 4, "updated": 0, "unchanged": 0}
    assert Participation.objects.filter(teacher=teacher).count() == 3
    assert RecognisedHours.objects.get(teacher=teacher).hours == 40
    entries = {(e.kind, e.event_date, e.ban_until) for e in IntegrityEntry.objects.filter(teacher=teacher)}
    assert entries == {("no_show", date(2018, 6, 10), date(2021, 6, 10)),
                       ("failed", date(2019, 12, 30), date(2022, 12, 30))}
    assert IntegrityEntry.objects.get(kind="no_show").participation.project_name == "乡村教师工作坊研修"
    again = run(county_admin, rows)
    assert again.result == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4}
    assert IntegrityEntry.objects.count() == 2


def test_history_rows_are_checked_and_nothing_is_saved(county_admin, teacher, other_teacher, run):
    rows = [
        row("140105199003151234", 2018, "项目甲", "结业", 80, 20, "2018-07-20"),
        row("140105199003151234", 2009, "项目乙", "结业", 80, 0, "2009-07-20"),
        row("140105199003151234", 2018, "项目丙", "劝退"),
        row(other_teacher.id_number_plain, 2018, "项目甲", "结业", 80, 0, "2018-07-20"),
        row("140105199003151234", 2018, "项目甲", "结业", 80, 20, "2018-07-20"),
        row("140105199003151234", 2017, "项目丁", "结业", 20, 30, "2017-07-20", name="张三"),
        row("110101199001011237", 2018, "项目甲", "结业", 80, 0, "2018-07-20"),
    ]
    job = run(county_admin, rows)
    assert job.state == Job.State.FAILED
    reasons = [r[3] for r in read_table(job.result_file.read(), "e.xlsx").rows]
    assert any("年度应在2010年" in r for r in reasons)
    assert any("必须填写结束日期" in r for r in reasons)
    assert any("不在您管辖的县区" in r for r in reasons)
    assert any("重复" in r for r in reasons)
    assert any("实践学时不能大于学时" in r for r in reasons)
    assert any("教师库中没有" in r for r in reasons)
    assert not Participation.objects.exists() and not IntegrityEntry.objects.exists()


def test_history_template_reads_back():
    table = read_table(history_template(), "t.xlsx")
    assert table.headers == HEADERS and len(table.rows) == 3
