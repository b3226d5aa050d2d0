"""The selection engine: each reason by rule ID, bans, the cycle cap, hours, overlaps and the ranking."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guopei.orgs.models import Region
from guopei.orgs.tests.factories import SchoolFactory
from guopei.plans.models import AnnualPlan, Category, Project, ProjectCounty
from guopei.teachers import services
from guopei.teachers.models import IntegrityEntry, Nomination, Participation, RecognisedHours, ReservePoolEntry
from guopei.teachers.selection import REASONS, selection_for
from guopei.teachers.selectors import effective_cap

from .factories import IntegrityEntryFactory, ParticipationFactory, TeacherFactory

COUNTY = "140105"


def make_project(code: str = "T01", year: int = 2020, **fields) -> Project:
    plan, _ = AnnualPlan.objects.get_or_create(province="140000", year=year, defaults={"title": f"{year}年规划"})
    values = {"name": f"测试项目{code}", "category": Category.objects.order_by("pk").first(), "quota": 50,
              "days": 10, "hours": 80, "start_date": date(year, 7, 1), "end_date": date(year, 7, 10)}
    values.update(fields)
    counties = values.pop("counties", None)
    project = Project.objects.create(plan=plan, code=code, **values)
    if counties:
        project.counties.set(Region.objects.filter(code__in=counties))
    return project


def reasons(selection, teacher) -> set[str]:
    row = selection.with_reasons(selection.base().filter(pk=teacher.pk)).get()
    return {r.code for r in selection.reasons_of(row)}


@pytest.fixture
def rural_school(db):
    return SchoolFactory(county_id=COUNTY, kind="primary", location="rural")


@pytest.fixture
def town_school(db):
    return SchoolFactory(county_id=COUNTY, kind="junior", location="town")


def test_mgmt4_eligible_teacher_has_no_reason(rural_school):
    good = TeacherFactory(school=rural_school)
    selection = selection_for(make_project(target_segments=["primary"], target_posts=["teacher"]), COUNTY)
    assert reasons(selection, good) == set()
    assert list(selection.eligible()) == [good]
    assert selection.counts()["eligible"] == 1


@pytest.mark.parametrize(("reason", "project_fields", "teacher_fields"), [
    ("segment", {"target_segments": ["junior"]}, {}),
    ("post", {"target_posts": ["principal"]}, {}),
    ("subject", {"target_subjects": ["数学"]}, {"subject": "语文"}),
    ("backbone", {"target_backbone_levels": ["city", "province"]}, {"backbone_level": "county"}),
    ("preschool_major", {"preschool_major": True}, {"preschool_major": False}),
    ("service_min", {"service_years_min": 15}, {"first_employed_on": date(2008, 9, 1)}),
    ("service_min", {"service_years_min": 1}, {"first_employed_on": None}),
    ("service_max", {"service_years_max": 3}, {"first_employed_on": date(2008, 9, 1)}),
    ("hired_within", {"hired_within_years": 3}, {"first_employed_on": date(2008, 9, 1)}),
    ("inactive", {}, {"status": "retired"}),
])
def test_mgmt4_each_condition_gives_its_reason(rural_school, reason, project_fields, teacher_fields):
    teacher = TeacherFactory(school=rural_school, **teacher_fields)
    selection = selection_for(make_project(**project_fields), COUNTY)
    assert reason in reasons(selection, teacher)
    assert teacher not in selection.eligible()
    assert selection.counts()[f"reason_{reason}"] == 1
    assert REASONS[[r.code for r in REASONS].index(reason)].rule == "MGMT-4"


def test_mgmt4_service_years_boundaries(rural_school):
    on = date(2020, 7, 1)
    exactly_three = TeacherFactory(school=rural_school, first_employed_on=date(2017, 7, 1))
    almost_four = TeacherFactory(school=rural_school, first_employed_on=date(2016, 7, 2))
    four = TeacherFactory(school=rural_school, first_employed_on=date(2016, 7, 1))
    selection = selection_for(make_project(service_years_min=3, service_years_max=3), COUNTY, on_date=on)
    assert reasons(selection, exactly_three) == set()
    assert reasons(selection, almost_four) == set()
    assert reasons(selection, four) == {"service_max"}


def test_mgmt4_rural_and_private_kindergarten_conditions(rural_school, town_school):
    rural = TeacherFactory(school=rural_school)
    town = TeacherFactory(school=town_school)
    private_kg = SchoolFactory(county_id=COUNTY, kind="kindergarten", is_public=False, location="town")
    kg_teacher = TeacherFactory(school=private_kg)
    selection = selection_for(make_project(rural_only=True), COUNTY)
    assert reasons(selection, rural) == set() and reasons(selection, town) == {"rural"}
    selection = selection_for(make_project("T02", private_kindergartens_only=True), COUNTY)
    assert "private_kindergarten" in reasons(selection, rural)
    assert reasons(selection, kg_teacher) == set()


def test_mgmt4_project_county_and_implementation_county(rural_school):
    teacher = TeacherFactory(school=rural_school)
    selection = selection_for(make_project(project_counties_only=True), COUNTY)
    assert "project_county" in reasons(selection, teacher)
    ProjectCounty.objects.create(year=2020, county_id=COUNTY, is_programme=True)
    selection = selection_for(make_project("T02", project_counties_only=True), COUNTY)
    assert "project_county" not in reasons(selection, teacher)
    selection = selection_for(make_project("T03", counties=["140106"]), COUNTY)
    assert reasons(selection, teacher) == {"implementation_county"}


def test_mgmt6_ban_expires_exactly_three_years_after_the_event(rural_school):
    teacher = TeacherFactory(school=rural_school)
    entry = services.integrity_entry_create(teacher=teacher, kind=IntegrityEntry.Kind.NO_SHOW,
                                            event_date=date(2017, 7, 1), source="2017年某项目未报到")
    assert entry.ban_until == date(2020, 7, 1)
    project = make_project()
    assert reasons(selection_for(project, COUNTY, on_date=date(2017, 7, 1)), teacher) == {"banned"}
    assert reasons(selection_for(project, COUNTY, on_date=date(2020, 6, 30)), teacher) == {"banned"}
    assert reasons(selection_for(project, COUNTY, on_date=date(2020, 7, 1)), teacher) == set()
    assert reasons(selection_for(project, COUNTY, on_date=date(2017, 6, 30)), teacher) == set()


def test_mgmt6_ban_from_29_february_ends_on_28_february(rural_school):
    teacher = TeacherFactory(school=rural_school)
    entry = services.integrity_entry_create(teacher=teacher, kind=IntegrityEntry.Kind.FAILED,
                                            event_date=date(2016, 2, 29), source="结业考核不合格")
    assert entry.ban_until == date(2019, 2, 28)


def test_mgmt6_annulled_entry_bans_nobody_and_needs_a_written_reason(rural_school, county_admin, other_county_admin):
    teacher = TeacherFactory(school=rural_school)
    entry = IntegrityEntryFactory(teacher=teacher, event_date=date(2019, 9, 1))
    selection = selection_for(make_project(), COUNTY)
    assert "banned" in reasons(selection, teacher)
    with pytest.raises(ValidationError):
        services.integrity_entry_annul(actor=county_admin, entry=entry, reason="  ")
    with pytest.raises(PermissionDenied):
        services.integrity_entry_annul(actor=other_county_admin, entry=entry, reason="因病住院")
    services.integrity_entry_annul(actor=county_admin, entry=entry, reason="因病住院，有医院证明")
    assert "banned" not in reasons(selection_for(make_project("T02"), COUNTY), teacher)
    from guopei.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="teachers.integrity_annul", detail__reason="因病住院，有医院证明").exists()


def test_mgmt4_cap_reached_counts_participations_of_the_cycle(rural_school):
    twice = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=twice, year=2016)
    ParticipationFactory(teacher=twice, year=2018)
    once_plus_noshow = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=once_plus_noshow, year=2017)
    ParticipationFactory(teacher=once_plus_noshow, year=2019, result=Participation.Result.NO_SHOW)
    old_cycle = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=old_cycle, year=2014)
    ParticipationFactory(teacher=old_cycle, year=2015)
    selection = selection_for(make_project(), COUNTY)
    assert selection.cycle == (2016, 2020) and selection.cap.cap == 2
    assert "cap" in reasons(selection, twice)
    assert "cap" not in reasons(selection, once_plus_noshow)
    assert "cap" not in reasons(selection, old_cycle)


def test_mgmt4_confirmed_nomination_for_another_project_counts_towards_the_cap(rural_school, county_admin):
    teacher = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=teacher, year=2017)
    other = make_project("T09", start_date=date(2020, 9, 1), end_date=date(2020, 9, 5))
    Nomination.objects.create(project=other, teacher=teacher, county_id=COUNTY, status="confirmed",
                              proposed_by=county_admin)
    assert "cap" in reasons(selection_for(make_project(), COUNTY), teacher)


def test_mgmt4_cap_tightening_by_county_but_not_loosening(province_admin, county_admin, city_admin, rural_school):
    county = Region.objects.get(code=COUNTY)
    services.cap_policy_set(actor=province_admin, region=Region.objects.get(code="140000"), cap=3, cycle_years=5,
                            cycle_start_year=2016)
    assert effective_cap(COUNTY).cap == 3
    services.cap_policy_set(actor=county_admin, region=county, cap=1)
    assert effective_cap(COUNTY).cap == 1 and effective_cap("140106").cap == 3
    with pytest.raises(ValidationError, match="不能放宽"):
        services.cap_policy_set(actor=county_admin, region=county, cap=4)
    services.cap_policy_set(actor=city_admin, region=Region.objects.get(code="140100"), cap=2)
    assert effective_cap("140106").cap == 2
    with pytest.raises(ValidationError, match="不能放宽"):
        services.cap_policy_set(actor=county_admin, region=county, cap=3)
    with pytest.raises(ValidationError):
        services.cap_policy_set(actor=county_admin, region=county, cap=1, cycle_years=10)
    with pytest.raises(PermissionDenied):
        services.cap_policy_set(actor=county_admin, region=Region.objects.get(code="140213"), cap=1)
    # The province loosening later does not undo a county's tighter cap.
    services.cap_policy_set(actor=province_admin, region=Region.objects.get(code="140000"), cap=4)
    assert effective_cap(COUNTY).cap == 1
    teacher = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=teacher, year=2019)
    assert "cap" in reasons(selection_for(make_project(), COUNTY), teacher)


def test_mgmt4_this_years_required_hours_met(rural_school, settings):
    settings.TEACHERS_ANNUAL_HOURS_REQUIRED = 72
    by_programme = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=by_programme, year=2020, hours=80)
    by_both = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=by_both, year=2020, hours=40)
    RecognisedHours.objects.create(teacher=by_both, year=2020, hours=32)
    short = TeacherFactory(school=rural_school)
    RecognisedHours.objects.create(teacher=short, year=2020, hours=71)
    last_year = TeacherFactory(school=rural_school)
    RecognisedHours.objects.create(teacher=last_year, year=2019, hours=100)
    selection = selection_for(make_project(), COUNTY)
    assert "hours_met" in reasons(selection, by_programme)
    assert "hours_met" in reasons(selection, by_both)
    assert "hours_met" not in reasons(selection, short)
    assert "hours_met" not in reasons(selection, last_year)


def test_mgmt4_confirmed_for_an_overlapping_project(rural_school, county_admin):
    teacher = TeacherFactory(school=rural_school)
    free = TeacherFactory(school=rural_school)
    overlapping = make_project("T08", start_date=date(2020, 7, 8), end_date=date(2020, 7, 20))
    later = make_project("T07", start_date=date(2020, 8, 1), end_date=date(2020, 8, 5))
    Nomination.objects.create(project=overlapping, teacher=teacher, county_id=COUNTY, status="confirmed",
                              proposed_by=county_admin)
    Nomination.objects.create(project=later, teacher=free, county_id=COUNTY, status="confirmed",
                              proposed_by=county_admin)
    selection = selection_for(make_project(), COUNTY)
    assert "overlap" in reasons(selection, teacher)
    assert "overlap" not in reasons(selection, free)


def test_every_reason_is_reported_at_once(rural_school):
    teacher = TeacherFactory(school=rural_school, status="left", subject="语文")
    IntegrityEntryFactory(teacher=teacher, event_date=date(2019, 1, 1))
    selection = selection_for(make_project(target_subjects=["数学"], target_segments=["junior"]), COUNTY)
    assert reasons(selection, teacher) == {"inactive", "banned", "subject", "segment"}


def test_mgmt4_ranking_pool_first_then_fewest_then_longest_since_then_rural(rural_school, town_school):
    project = make_project(target_segments=[])
    pooled = TeacherFactory(school=town_school, name="甲")
    ParticipationFactory(teacher=pooled, year=2016)
    ReservePoolEntry.objects.create(teacher=pooled, category=project.category, priority=3)
    never_town = TeacherFactory(school=town_school, name="乙")
    never_rural = TeacherFactory(school=rural_school, name="丙")
    once_old = TeacherFactory(school=rural_school, name="丁")
    ParticipationFactory(teacher=once_old, year=2012)
    once_recent = TeacherFactory(school=rural_school, name="戊")
    ParticipationFactory(teacher=once_recent, year=2017)
    ranked = list(selection_for(project, COUNTY).eligible())
    assert ranked == [pooled, never_rural, never_town, once_old, once_recent]
    assert ranked[0].in_pool and ranked[0].pool_priority == 3


def test_counts_come_from_one_query(rural_school):
    TeacherFactory.create_batch(5, school=rural_school)
    selection = selection_for(make_project(target_subjects=["数学"]), COUNTY)
    with CaptureQueriesContext(connection) as captured:
        counts = selection.counts()
    # On PostgreSQL the statement is preceded by its planner setting (SET LOCAL jit = off).
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET LOCAL")]
    assert len(statements) == 1 and len(captured) == (2 if connection.vendor == "postgresql" else 1)
    assert counts["total"] == 5 and counts["reason_subject"] == 5 and counts["eligible"] == 0


def test_mgmt4_participations_of_the_project_itself_do_not_count_towards_its_cap(rural_school):
    project = make_project()
    own = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=own, year=2018)
    ParticipationFactory(teacher=own, year=2020, project=project, project_name=project.name)
    other = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=other, year=2018)
    ParticipationFactory(teacher=other, year=2020, project=make_project("T02"))
    no_show = TeacherFactory(school=rural_school)
    ParticipationFactory(teacher=no_show, year=2018)
    ParticipationFactory(teacher=no_show, year=2019)
    ParticipationFactory(teacher=no_show, year=2020, project=project, result=Participation.Result.NO_SHOW)
    selection = selection_for(project, COUNTY)
    assert "cap" not in reasons(selection, own)
    assert "cap" in reasons(selection, other) and "cap" in reasons(selection, no_show)
    assert selection.counts()["reason_cap"] == 2


def test_mgmt4_a_nomination_already_recorded_as_a_participation_counts_once(rural_school, county_admin):
    recorded = TeacherFactory(school=rural_school)
    other = make_project("T09", start_date=date(2020, 9, 1), end_date=date(2020, 9, 5))
    Nomination.objects.create(project=other, teacher=recorded, county_id=COUNTY, status="confirmed",
                              proposed_by=county_admin)
    ParticipationFactory(teacher=recorded, year=2020, project=other)
    two_nominations = TeacherFactory(school=rural_school)
    for code, month in (("T10", 10), ("T11", 11)):
        Nomination.objects.create(project=make_project(code, start_date=date(2020, month, 1),
                                                       end_date=date(2020, month, 5)),
                                  teacher=two_nominations, county_id=COUNTY, status="confirmed",
                                  proposed_by=county_admin)
    selection = selection_for(make_project(), COUNTY)
    assert "cap" not in reasons(selection, recorded)
    assert "cap" in reasons(selection, two_nominations)


def test_counts_by_reason_match_the_lists_and_stay_within_the_region(rural_school, county_admin, settings):
    """Each count equals the teachers the reason marks, for a county, a city and the province."""
    settings.TEACHERS_ANNUAL_HOURS_REQUIRED = 72
    other_county = SchoolFactory(county_id="140106", kind="primary", location="rural")
    other_city = SchoolFactory(county_id="140213", kind="primary", location="rural")
    overlapping = make_project("T08", start_date=date(2020, 7, 8), end_date=date(2020, 7, 20))
    for school in (rural_school, other_county, other_city):
        TeacherFactory(school=school)
        IntegrityEntryFactory(teacher=TeacherFactory(school=school), event_date=date(2019, 9, 1))
        IntegrityEntryFactory(teacher=TeacherFactory(school=school), event_date=date(2015, 9, 1))
        capped = TeacherFactory(school=school, status="retired")
        ParticipationFactory(teacher=capped, year=2016)
        ParticipationFactory(teacher=capped, year=2019)
        RecognisedHours.objects.create(teacher=TeacherFactory(school=school), year=2020, hours=80)
        Nomination.objects.create(project=overlapping, teacher=TeacherFactory(school=school),
                                  county_id=school.region_code, status="confirmed", proposed_by=county_admin)
    project = make_project()
    for region, total in ((COUNTY, 6), ("140100", 12), ("140000", 18)):
        selection = selection_for(project, region)
        counts = selection.counts()
        marked = {r.code: 0 for r in selection.active_reasons}
        eligible = 0
        for row in selection.with_reasons(selection.base()):
            codes = {r.code for r in selection.reasons_of(row)}
            eligible += not codes
            for code in codes:
                marked[code] += 1
        assert counts["total"] == total and counts["eligible"] == eligible == selection.eligible().count()
        assert {code: counts[f"reason_{code}"] for code in marked} == marked
        assert {code: marked[code] for code in ("banned", "cap", "hours_met", "overlap", "inactive")} == {
            "banned": total // 6, "cap": total // 6, "hours_met": total // 6, "overlap": total // 6,
            "inactive": total // 6}


def test_selection_over_a_city_covers_its_counties(rural_school):
    TeacherFactory(school=rural_school)
    TeacherFactory(school=SchoolFactory(county_id="140106"))
    TeacherFactory(school=SchoolFactory(county_id="140213"))
    assert selection_for(make_project(), "140100").counts()["total"] == 2
    assert selection_for(make_project("T02"), "140000").counts()["total"] == 3
