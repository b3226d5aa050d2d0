"""Quotas: a project's quota split among cities, then counties; the parts never exceed the whole."""

from __future__ import annotations

import pytest

from guopei.core.models import AuditEvent
from guopei.plans import services
from guopei.plans.models import Allocation
from guopei.plans.selectors import allocation_for, allocations_for_user, projects_for_user, with_allocated

from .factories import make_plan, make_project


def test_allocations_split_city_then_county(project, province_admin, city_admin, taiyuan, xiaodian, yingze):
    services.allocation_set(project=project, region=taiyuan, quota=60, actor=province_admin)
    services.allocation_set(project=project, region=xiaodian, quota=25, actor=city_admin)
    services.allocation_set(project=project, region=yingze, quota=35, actor=city_admin)
    assert allocation_for(project, "140105") == 25
    assert allocation_for(project, "140106") == 35
    assert allocation_for(project, "140213") == 0
    county = Allocation.objects.get(project=project, region=xiaodian)
    assert county.parent.region_id == "140100"
    assert AuditEvent.objects.filter(action="plans.allocation_set").count() == 3


def test_allocations_cities_cannot_exceed_project_quota_message_gives_excess(project, province_admin, taiyuan,
                                                                            datong):
    services.allocation_set(project=project, region=taiyuan, quota=70, actor=province_admin)
    with pytest.raises(services.QuotaError) as exc:
        services.allocation_set(project=project, region=datong, quota=45, actor=province_admin)
    assert "超出 15 人" in str(exc.value)
    assert not Allocation.objects.filter(region=datong).exists()
    # Exactly the whole is fine.
    services.allocation_set(project=project, region=datong, quota=30, actor=province_admin)
    assert with_allocated(type(project).objects.filter(pk=project.pk)).get().allocated == 100


def test_allocations_counties_cannot_exceed_city_share(project, province_admin, city_admin, taiyuan, xiaodian,
                                                       yingze):
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    services.allocation_set(project=project, region=xiaodian, quota=30, actor=city_admin)
    with pytest.raises(services.QuotaError) as exc:
        services.allocation_set(project=project, region=yingze, quota=12, actor=city_admin)
    assert "超出 2 人" in str(exc.value)
    assert allocation_for(project, "140106") == 0


def test_allocations_city_share_not_below_its_counties(project, province_admin, city_admin, taiyuan, xiaodian):
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    services.allocation_set(project=project, region=xiaodian, quota=30, actor=city_admin)
    with pytest.raises(services.QuotaError, match="30"):
        services.allocation_set(project=project, region=taiyuan, quota=20, actor=province_admin)


def test_allocations_county_needs_city_share_first(project, province_admin, xiaodian):
    with pytest.raises(services.QuotaError, match="太原市"):
        services.allocation_set(project=project, region=xiaodian, quota=5, actor=province_admin)


def test_allocations_city_admin_manages_only_own_counties(project, province_admin, city_admin, other_city_admin,
                                                          county_admin, taiyuan, datong, xiaodian, pingcheng):
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    services.allocation_set(project=project, region=datong, quota=40, actor=province_admin)
    with pytest.raises(services.QuotaError, match=services.ERR_ALLOC_NOT_YOURS):
        services.allocation_set(project=project, region=xiaodian, quota=5, actor=other_city_admin)
    with pytest.raises(services.QuotaError, match=services.ERR_ALLOC_NOT_YOURS):
        services.allocation_set(project=project, region=taiyuan, quota=50, actor=city_admin)
    with pytest.raises(services.QuotaError, match=services.ERR_ALLOC_NOT_YOURS):
        services.allocation_set(project=project, region=xiaodian, quota=5, actor=county_admin)
    services.allocation_set(project=project, region=pingcheng, quota=10, actor=other_city_admin)


def test_allocations_scoping(project, province_admin, city_admin, other_city_admin, county_admin,
                             other_county_admin, taiyuan, datong, xiaodian, pingcheng):
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    services.allocation_set(project=project, region=xiaodian, quota=10, actor=city_admin)
    assert set(allocations_for_user(province_admin).values_list("region_id", flat=True)) == {"140100", "140105"}
    assert set(allocations_for_user(city_admin).values_list("region_id", flat=True)) == {"140100", "140105"}
    assert set(allocations_for_user(county_admin).values_list("region_id", flat=True)) == {"140105"}
    assert not allocations_for_user(other_county_admin).exists()
    assert list(projects_for_user(county_admin)) == [project]
    assert not projects_for_user(other_county_admin).exists()
    assert not projects_for_user(other_city_admin).exists()


def test_allocations_only_after_publication(province_admin, taiyuan):
    plan = make_plan(province_admin)
    project = make_project(plan, province_admin)
    with pytest.raises(services.QuotaError, match=services.ERR_ALLOC_PLAN_UNPUBLISHED):
        services.allocation_set(project=project, region=taiyuan, quota=5, actor=province_admin)


def test_allocations_zero_removes_share(project, province_admin, taiyuan):
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    assert services.allocation_set(project=project, region=taiyuan, quota=0, actor=province_admin) is None
    assert not Allocation.objects.exists()


def test_allocations_project_quota_not_below_allocated(published_plan, project, province_admin, finance_officer,
                                                       taiyuan):
    from .factories import project_input

    services.allocation_set(project=project, region=taiyuan, quota=80, actor=province_admin)
    services.plan_revise(plan=published_plan, actor=province_admin, reason="压缩名额")
    with pytest.raises(services.PlanError, match="80"):
        services.project_update(project=project, actor=province_admin, data=project_input("P01", quota=50))


def test_allocations_county_must_be_an_implementing_county(province_admin, finance_officer, taiyuan, xiaodian,
                                                           city_admin):
    from .factories import publish

    plan = make_plan(province_admin)
    project = make_project(plan, province_admin, counties=["140106"])
    publish(plan, province_admin, finance_officer)
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    with pytest.raises(services.QuotaError, match="小店区"):
        services.allocation_set(project=project, region=xiaodian, quota=5, actor=city_admin)
