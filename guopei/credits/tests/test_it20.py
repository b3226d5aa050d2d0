"""IT 2.0 progress (PLAN-5): 50 hours of which 25 practice, per teacher, school, county and province."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guopei.credits.it20 import (
    completed_teacher_ids,
    county_progress,
    it20_teachers,
    school_progress,
    with_it20_hours,
)
from guopei.credits.models import HourRecord
from guopei.orgs.tests.factories import SchoolFactory
from guopei.plans.models import ProjectCounty
from guopei.teachers.models import Teacher
from guopei.teachers.tests.factories import TeacherFactory

from .factories import HourRecordFactory, recognised

D = Decimal


@pytest.fixture
def it20_county(db):
    return ProjectCounty.objects.create(year=2020, county_id="140105", is_it20=True)


def give(teacher, auditor, hours, practice, *, it20=True, status="recognised", year=2020):
    record = HourRecordFactory(teacher=teacher, year=year, is_it20=it20, theory_hours=D(hours) - D(practice),
                               practice_hours=D(practice))
    return recognised(record, auditor) if status == "recognised" else record


def test_plan5_exactly_50_hours_with_25_practice_completes(it20_county, school, county_admin):
    t = TeacherFactory(school=school)
    give(t, county_admin, "30", "15")
    give(t, county_admin, "20", "10")
    row = with_it20_hours(Teacher.objects.filter(pk=t.pk), 2020).get()
    assert row.it20_hours == D("50.0") and row.it20_practice == D("25.0") and row.it20_complete
    assert completed_teacher_ids(2020).filter(teacher_id=t.pk).exists()


def test_plan5_50_hours_with_24_practice_does_not_complete(it20_county, school, county_admin):
    t = TeacherFactory(school=school)
    give(t, county_admin, "50", "24")
    row = with_it20_hours(Teacher.objects.filter(pk=t.pk), 2020).get()
    assert row.it20_hours == D("50.0") and row.it20_practice == D("24.0") and not row.it20_complete
    assert not completed_teacher_ids(2020).exists()


def test_plan5_49_and_a_half_hours_do_not_complete(it20_county, school, county_admin):
    t = TeacherFactory(school=school)
    give(t, county_admin, "49.5", "30")
    assert not with_it20_hours(Teacher.objects.filter(pk=t.pk), 2020).get().it20_complete


def test_plan5_only_recognised_it20_records_of_the_year_count(it20_county, school, county_admin):
    t = TeacherFactory(school=school)
    give(t, county_admin, "40", "20")
    give(t, county_admin, "20", "10", it20=False)  # ordinary training
    give(t, county_admin, "20", "10", status="pending")  # not yet audited
    give(t, county_admin, "20", "10", year=2019)  # another year
    row = with_it20_hours(Teacher.objects.filter(pk=t.pk), 2020).get()
    assert row.it20_hours == D("40.0") and not row.it20_complete


def test_plan5_only_active_teachers_of_whole_school_kinds_in_it20_counties(it20_county, school, other_school):
    inside = TeacherFactory(school=school)
    TeacherFactory(school=other_school)  # 平城区 is not on the 2020 IT 2.0 list
    TeacherFactory(school=school, status=Teacher.Status.RETIRED)
    TeacherFactory(school=SchoolFactory(county_id="140105", kind="special"))
    assert list(it20_teachers(2020)) == [inside]
    assert not it20_teachers(2021).exists()


def test_plan5_whole_school_share_per_school_county_and_province(it20_county, school, county_admin,
                                                                 province_admin):
    ProjectCounty.objects.create(year=2020, county_id="140213", is_it20=True)
    second = SchoolFactory(county_id="140105", kind="kindergarten")
    done = [TeacherFactory(school=school) for _ in range(3)]
    lacking = TeacherFactory(school=school)
    for t in done:
        give(t, county_admin, "50", "25")
    give(lacking, county_admin, "60", "24")
    finished = TeacherFactory(school=second)
    give(finished, county_admin, "52", "26")
    rows = {p.name: p for p in school_progress(it20_teachers(2020), 2020)}
    assert rows[school.name].teachers == 4 and rows[school.name].complete == 3
    assert rows[school.name].hours_only == 1 and rows[school.name].share == D("75.0")
    assert rows[second.name].share == D("100.0") and rows[second.name].whole_schools == 1
    overview = county_progress(province_admin, 2020)
    county = {c.code: c for c in overview.counties}
    assert county["140105"].teachers == 5 and county["140105"].complete == 4
    assert county["140105"].schools == 2 and county["140105"].whole_schools == 1
    assert county["140213"].teachers == 0  # on the list, nobody trained yet
    assert overview.total.complete == 4 and overview.total.share == D("80.0")
    assert {c.name for c in overview.cities} == {"太原市", "大同市"}
    own = county_progress(county_admin, 2020)
    assert [c.code for c in own.counties] == ["140105"]


def test_plan5_progress_is_counted_by_the_database_not_per_teacher(it20_county, school, county_admin,
                                                                    province_admin):
    for _ in range(3):
        give(TeacherFactory(school=school), county_admin, "50", "25")
    county_progress(province_admin, 2020)  # loads the user's memberships once
    with CaptureQueriesContext(connection) as small:
        county_progress(province_admin, 2020)
    for _ in range(30):
        give(TeacherFactory(school=SchoolFactory(county_id="140105")), county_admin, "50", "25")
    with CaptureQueriesContext(connection) as big:
        overview = county_progress(province_admin, 2020)
    assert len(big) == len(small) <= 4
    assert overview.total.complete == 33


def test_hour_record_kinds_are_listed_in_chinese():
    assert HourRecord.Kind.SCHOOL_BASED.label == "校本研修" and HourRecord.Kind.SELF_STUDY.label == "自主研修"
