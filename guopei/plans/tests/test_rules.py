"""PLAN-2 … PLAN-5 on projects and project counties, and the hour rules shared by the form and the import."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from guopei.core.models import AuditEvent
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import DevelopmentCentreFactory
from guopei.plans import services
from guopei.plans.models import ERR_IT20_HOURS, ERR_IT20_PRACTICE, Allocation, Project, ProjectCounty

from .factories import CW_IT, KG_NEW, make_plan, make_project, project_input, publish


def county(code):
    return Region.objects.get(code=code)


@pytest.fixture
def lists(province_admin):
    for code, programme, it20 in [("140105", True, False), ("140106", True, True), ("140213", False, True)]:
        services.project_county_set(actor=province_admin, year=2020, county=county(code), is_programme=programme,
                                    is_it20=it20)


def test_plan3_two_lists_a_county_may_be_in_both(lists):
    assert set(ProjectCounty.objects.filter(year=2020, is_programme=True).values_list("county_id", flat=True)) \
        == {"140105", "140106"}
    assert set(ProjectCounty.objects.filter(year=2020, is_it20=True).values_list("county_id", flat=True)) \
        == {"140106", "140213"}
    assert AuditEvent.objects.filter(action="plans.project_county_set").count() == 3


def test_plan3_restricted_project_takes_counties_from_programme_list(lists, province_admin):
    plan = make_plan(province_admin)
    project = make_project(plan, province_admin, project_counties_only=True, counties=["140213"])
    assert sorted(project.counties.values_list("code", flat=True)) == ["140105", "140106"]


def test_plan3_list_change_updates_restricted_draft_projects(lists, province_admin):
    plan = make_plan(province_admin)
    project = make_project(plan, province_admin, project_counties_only=True)
    services.project_county_set(actor=province_admin, year=2020, county=county("140107"), is_programme=True,
                                is_it20=False)
    assert "140107" in project.counties.values_list("code", flat=True)
    services.project_county_set(actor=province_admin, year=2020, county=county("140105"), is_programme=False,
                                is_it20=False)
    assert not ProjectCounty.objects.filter(county_id="140105").exists()
    assert "140105" not in project.counties.values_list("code", flat=True)


def test_plan3_restricted_project_needs_a_list(province_admin):
    plan = make_plan(province_admin)
    with pytest.raises(services.PlanError, match="尚未设定国培项目区县名单"):
        make_project(plan, province_admin, project_counties_only=True)


def test_plan3_only_counties_on_lists(province_admin):
    with pytest.raises(services.PlanError, match="不是县级"):
        services.project_county_set(actor=province_admin, year=2020, county=county("140100"), is_programme=True,
                                    is_it20=False)


def test_plan4_programme_county_records_development_centre_as_co_implementer(province_admin):
    centre = DevelopmentCentreFactory(county=county("140105"))
    entry = services.project_county_set(actor=province_admin, year=2020, county=county("140105"),
                                        is_programme=True, is_it20=False)
    assert entry.development_centre == centre
    it20_only = services.project_county_set(actor=province_admin, year=2020, county=county("140105"),
                                            is_programme=False, is_it20=True)
    assert it20_only.development_centre is None


def test_plan5_it20_project_needs_50_hours_and_25_practice(lists, province_admin):
    plan = make_plan(province_admin)
    with pytest.raises(services.PlanError) as exc:
        make_project(plan, province_admin, category=CW_IT, is_it20=True, days=5, hours=40,
                     components={"online": 20, "practice": 20})
    assert ERR_IT20_HOURS in str(exc.value)
    with pytest.raises(services.PlanError) as exc:
        make_project(plan, province_admin, category=CW_IT, is_it20=True, days=5, hours=50,
                     components={"online": 30, "practice": 20})
    assert ERR_IT20_PRACTICE in str(exc.value)
    project = make_project(plan, province_admin, category=CW_IT, is_it20=True, days=5, hours=50,
                           components={"online": 25, "practice": 25})
    assert sorted(project.counties.values_list("code", flat=True)) == ["140106", "140213"]


def test_hours_rule_components_add_up_and_hours_within_days(province_admin):
    plan = make_plan(province_admin)
    with pytest.raises(services.PlanError, match="各环节学时合计"):
        make_project(plan, province_admin, hours=80, components={"face_to_face": 60, "workshop": 10})
    with pytest.raises(services.PlanError, match="天数×10"):
        make_project(plan, province_admin, days=5, hours=80)
    assert make_project(plan, province_admin, days=8, hours=80).hours == 80


def test_plan2_subprojects_one_level_same_category(province_admin):
    plan = make_plan(province_admin)
    parent = make_project(plan, province_admin, "K1", category=KG_NEW)
    child = make_project(plan, province_admin, "K1-1", category=KG_NEW, parent=parent, quota=30)
    with pytest.raises(services.PlanError, match="子项目不能再设子项目"):
        make_project(plan, province_admin, "K1-1-1", category=KG_NEW, parent=child)
    with pytest.raises(services.PlanError, match="同一类别"):
        make_project(plan, province_admin, "K1-2", parent=parent)
    parent.refresh_from_db()
    assert parent.quota == 30


def test_plan2_parent_quota_is_sum_of_subprojects(province_admin):
    plan = make_plan(province_admin)
    parent = make_project(plan, province_admin, "K1", category=KG_NEW)
    make_project(plan, province_admin, "K1-1", category=KG_NEW, parent=parent, quota=30)
    with pytest.raises(services.PlanError, match=services.ERR_PARENT_ROLLUP):
        services.project_update(project=parent, actor=province_admin, data=project_input("K1", category=KG_NEW,
                                                                                         quota=500))


def test_project_targets_validated(province_admin):
    plan = make_plan(province_admin)
    with pytest.raises(services.PlanError, match="未知的岗位"):
        make_project(plan, province_admin, target_posts=["janitor"])
    with pytest.raises(services.PlanError, match="未知的县区代码"):
        make_project(plan, province_admin, counties=["149999"])
    with pytest.raises(services.PlanError, match="2019年项目名称"):
        make_project(plan, province_admin, continues_from_2019=True)


def test_project_code_unique_in_plan(province_admin):
    plan = make_plan(province_admin)
    make_project(plan, province_admin, "P1")
    with pytest.raises(services.PlanError):
        make_project(plan, province_admin, "P1")
    assert Project.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_city_allocations_cannot_overbook(reference_data, province_admin, finance_officer):
    """select_for_update on the project row: of two 60-trainee shares of a 100 quota only one succeeds."""
    plan = make_plan(province_admin)
    project = make_project(plan, province_admin)
    publish(plan, province_admin, finance_officer)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def allocate(code):
        from django.db import connections

        try:
            barrier.wait()
            services.allocation_set(project=project, region=Region.objects.get(code=code),
                                    quota=60, actor=province_admin)
            results.append("ok")
        except services.QuotaError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=allocate, args=(c,)) for c in ("140100", "140200")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert sum(Allocation.objects.values_list("quota", flat=True)) == 60
