"""The API: every endpoint with three personas; sealed bids; course-plan check and submit."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from guopei.core.models import AuditEvent
from guopei.tenders import services
from guopei.tenders.models import CoursePlan

from .factories import SIGNING, full_modules, staff_for
from .test_views import scene  # noqa: F401  (the shared scenario fixture)

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_tenders_api_three_personas(scene, province_admin, staff, experts, county_admin):  # noqa: F811
    url = reverse("api:tender-list")
    assert ids(api(province_admin).get(url)) == {scene["tender"].pk, scene["draft"].pk}
    assert ids(api(staff).get(url)) == {scene["tender"].pk}
    assert ids(api(experts[0].user).get(url)) == {scene["tender"].pk}
    assert api(staff).get(reverse("api:tender-detail", args=[scene["draft"].pk])).status_code == 404
    assert api(county_admin).get(url).status_code == 403
    assert APIClient().get(url).status_code == 401


def test_bids_api_is_sealed(scene, province_admin, staff, rival_staff, experts):  # noqa: F811
    url = reverse("api:tender-bid-list")
    assert len(ids(api(province_admin).get(url))) == 3
    own = api(staff).get(url).json()["results"]
    assert [row["id"] for row in own] == [scene["own"].pk] and own[0]["price"] == "300000.00"
    assert own[0]["valid"] is True and {m["role"] for m in own[0]["members"]} == {"lead", "partner"}
    rival_url = reverse("api:tender-bid-detail", args=[scene["rival_bid"].pk])
    assert api(staff).get(rival_url).status_code == 404
    assert api(rival_staff).get(rival_url).status_code == 200
    assert api(experts[0].user).get(url).status_code == 403


def test_assignments_api_three_personas(scene, province_admin, experts, staff):  # noqa: F811
    url = reverse("api:tender-assignment-list")
    assert len(ids(api(province_admin).get(url))) == 3
    assert ids(api(experts[0].user).get(url)) == {scene["assignments"][0].pk}
    other = reverse("api:tender-assignment-detail", args=[scene["assignments"][1].pk])
    assert api(experts[0].user).get(other).status_code == 404
    assert api(staff).get(url).status_code == 403


def test_awards_api_three_personas(scene, province_admin, staff, rival_staff, experts):  # noqa: F811
    url = reverse("api:tender-award-list")
    assert ids(api(province_admin).get(url)) == {scene["award"].pk}
    assert ids(api(staff).get(url)) == {scene["award"].pk}
    assert ids(api(rival_staff).get(url)) == set()
    assert api(rival_staff).get(reverse("api:tender-award-detail", args=[scene["award"].pk])).status_code == 404
    assert api(experts[0].user).get(url).status_code == 403


@pytest.fixture
def course_plan(continuing, province_admin):
    award = services.award_continuation(project=continuing, actor=province_admin, amount="380000", now=SIGNING)
    return award.course_plan


def test_course_plans_api_check_and_submit(course_plan, province_admin, staff, teacher_user):
    owner = staff_for(course_plan.institution, username="api_owner")
    url = reverse("api:course-plan-list")
    assert ids(api(province_admin).get(url)) == {course_plan.pk}
    assert ids(api(owner).get(url)) == {course_plan.pk}
    assert ids(api(staff).get(url)) == set()
    detail = reverse("api:course-plan-detail", args=[course_plan.pk])
    assert api(staff).get(detail).status_code == 404
    assert AuditEvent.objects.filter(action="tenders.access_denied").exists()
    assert api(teacher_user).get(url).status_code == 403
    check = reverse("api:course-plan-check", args=[course_plan.pk])
    assert "尚未添加任何课程模块。" in api(owner).get(check).json()["problems"]
    submit = reverse("api:course-plan-submit", args=[course_plan.pk])
    refused = api(owner).post(submit)
    assert refused.status_code == 400
    services.course_plan_save(plan=course_plan, actor=owner, modules=full_modules(course_plan.project))
    assert api(owner).get(check).json()["problems"] == []
    response = api(owner).post(submit)
    assert response.status_code == 200 and response.json()["status"] == CoursePlan.Status.SUBMITTED
    assert len(response.json()["modules"]) == course_plan.project.components.count()
    assert api(staff).post(submit).status_code == 404
