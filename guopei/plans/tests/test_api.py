"""The plan API: every endpoint with three personas, scoped like the pages, writes through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from guopei.core.models import AuditEvent
from guopei.plans import services
from guopei.plans.models import Commitment, Payment
from guopei.plans.selectors import allocation_for

from .factories import make_plan, make_project


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def world(published_plan, project, province_admin, finance_officer, city_admin, taiyuan, xiaodian):
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    services.allocation_set(project=project, region=xiaodian, quota=25, actor=city_admin)
    services.project_county_set(actor=province_admin, year=2020, county=xiaodian, is_programme=True, is_it20=False)
    services.commitment_record(project=project, amount=Decimal("100000"), payee="甲", reference="合同",
                               actor=province_admin)
    services.payment_record(project=project, paid_on=date(2020, 9, 1), amount=Decimal("30000"), payee="甲",
                            voucher_number="记-1", actor=finance_officer)
    return {"plan": published_plan, "project": project}


def as_user(api, user):
    api.force_login(user)
    return api


def codes(response, key="code"):
    return [row[key] for row in response.json()["results"]]


def test_api_plans_personas(api, world, province_admin, county_admin, other_county_admin, teacher_user):
    draft = make_plan(province_admin, year=2021)
    assert {r["id"] for r in as_user(api, province_admin).get("/api/v1/plans/").json()["results"]} == {
        world["plan"].pk, draft.pk}
    assert [r["year"] for r in as_user(api, county_admin).get("/api/v1/plans/").json()["results"]] == [2020]
    assert as_user(api, other_county_admin).get(f"/api/v1/plans/{draft.pk}/").status_code == 404
    assert as_user(api, teacher_user).get("/api/v1/plans/").status_code == 403
    assert APIClient().get("/api/v1/plans/").status_code in (401, 403)


def test_api_projects_personas(api, world, province_admin, county_admin, other_county_admin, teacher_user,
                               django_assert_max_num_queries):
    for i in range(10):
        make_project(make_plan(province_admin, year=2030 + i), province_admin, f"X{i}")
    client = as_user(api, province_admin)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/plan-projects/")
    assert response.json()["count"] == 11
    own = as_user(api, county_admin).get("/api/v1/plan-projects/")
    assert codes(own) == ["P01"]
    row = own.json()["results"][0]
    assert row["target_segments"] == ["primary", "junior"] and row["target_posts"] == ["teacher"]
    assert row["components"] == [{"kind": "face_to_face", "kind_display": "集中研修", "hours": 80}]
    assert row["family"] == "central_western" and row["quota"] == 100
    pk = world["project"].pk
    assert as_user(api, county_admin).get(f"/api/v1/plan-projects/{pk}/").status_code == 200
    assert as_user(api, other_county_admin).get(f"/api/v1/plan-projects/{pk}/").status_code == 404
    assert as_user(api, other_county_admin).get("/api/v1/plan-projects/").json()["count"] == 0
    assert as_user(api, teacher_user).get("/api/v1/plan-projects/").status_code == 403


def test_api_project_counties_personas(api, world, province_admin, county_admin, other_county_admin,
                                       teacher_user):
    rows = as_user(api, province_admin).get("/api/v1/plan-counties/?year=2020").json()["results"]
    assert [r["county"] for r in rows] == ["140105"] and rows[0]["is_programme"]
    assert as_user(api, county_admin).get("/api/v1/plan-counties/").json()["count"] == 1
    assert as_user(api, other_county_admin).get("/api/v1/plan-counties/").json()["count"] == 0
    assert as_user(api, teacher_user).get("/api/v1/plan-counties/").status_code == 403


def test_api_allocations_personas_and_writes(api, world, province_admin, city_admin, other_city_admin,
                                             county_admin, other_county_admin, teacher_user):
    project = world["project"]
    assert as_user(api, province_admin).get("/api/v1/plan-allocations/").json()["count"] == 2
    assert [r["region"] for r in as_user(api, county_admin).get("/api/v1/plan-allocations/").json()["results"]] \
        == ["140105"]
    assert as_user(api, other_county_admin).get("/api/v1/plan-allocations/").json()["count"] == 0
    assert as_user(api, teacher_user).get("/api/v1/plan-allocations/").status_code == 403
    client = as_user(api, city_admin)
    over = client.post("/api/v1/plan-allocations/", {"project": project.pk, "region": "140106", "quota": 16})
    assert over.status_code == 400 and "超出 1 人" in str(over.json())
    ok = client.post("/api/v1/plan-allocations/", {"project": project.pk, "region": "140106", "quota": 15})
    assert ok.status_code == 200 and ok.json()["level"] == "county"
    assert allocation_for(project, "140106") == 15
    # Another city cannot even see the project; a county may not allocate.
    assert as_user(api, other_city_admin).post("/api/v1/plan-allocations/", {
        "project": project.pk, "region": "140213", "quota": 1}).status_code == 404
    denied = as_user(api, county_admin).post("/api/v1/plan-allocations/", {
        "project": project.pk, "region": "140105", "quota": 1})
    assert denied.status_code == 400 and services.ERR_ALLOC_NOT_YOURS in str(denied.json())


def test_api_funds_personas(api, world, finance_officer, province_admin, city_admin, county_admin):
    rows = as_user(api, finance_officer).get("/api/v1/plan-funds/").json()["results"]
    assert rows[0]["budget"] == "400000.00" and rows[0]["committed"] == "100000.00"
    assert rows[0]["paid"] == "30000.00" and rows[0]["remaining"] == "300000.00"
    assert as_user(api, province_admin).get("/api/v1/plan-funds/").status_code == 200
    for user in (city_admin, county_admin):
        assert as_user(api, user).get("/api/v1/plan-funds/").status_code == 403
        assert as_user(api, user).get("/api/v1/plan-commitments/").status_code == 403
        assert as_user(api, user).get("/api/v1/plan-payments/").status_code == 403


def test_api_commitments_and_payments_write_with_override_rules(api, world, finance_officer, province_admin):
    project = world["project"]
    client = as_user(api, province_admin)
    assert client.get("/api/v1/plan-commitments/").json()["count"] == 1
    over = client.post("/api/v1/plan-commitments/", {"project": project.pk, "amount": "300000.01", "payee": "乙",
                                                     "reference": "合同2"})
    assert over.status_code == 400 and "0.01 元" in str(over.json())
    ok = client.post("/api/v1/plan-commitments/", {"project": project.pk, "amount": "300000", "payee": "乙",
                                                   "reference": "合同2"})
    assert ok.status_code == 201 and Commitment.objects.count() == 2
    assert client.post("/api/v1/plan-payments/", {}).status_code == 400
    payment = {"project": project.pk, "paid_on": "2020-10-01", "amount": "380000", "payee": "乙",
               "voucher_number": "记-2"}
    denied = client.post("/api/v1/plan-payments/", payment)
    assert denied.status_code == 400 and services.ERR_NOT_PAYER in str(denied.json())
    finance = as_user(api, finance_officer)
    assert finance.post("/api/v1/plan-payments/", payment).status_code == 400
    ok = finance.post("/api/v1/plan-payments/", {**payment, "override_reason": "结算调增"})
    assert ok.status_code == 201 and Payment.objects.count() == 2
    assert AuditEvent.objects.filter(action="plans.funds_override").count() == 1
    assert finance.get(f"/api/v1/plan-payments/{ok.json()['id']}/").json()["override_reason"] == "结算调增"
