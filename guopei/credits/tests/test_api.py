"""The credits API with three personas per endpoint (MGMT-3, PLAN-5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from guopei.core.models import AuditEvent
from guopei.credits.models import HourRecord
from guopei.plans.models import ProjectCounty

from .factories import MINIMAL_PDF, HourRecordFactory, recognised

D = Decimal
BASE = "/api/v1/credits"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


@pytest.fixture
def pending(teacher):
    return HourRecordFactory(teacher=teacher)


@pytest.fixture
def foreign(other_teacher):
    return HourRecordFactory(teacher=other_teacher)


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_records_three_personas(api, county_admin, other_county_admin, expert_user, pending, foreign):
    assert ids(as_user(api, county_admin).get(f"{BASE}/records/")) == {pending.pk}
    assert ids(as_user(api, other_county_admin).get(f"{BASE}/records/")) == {foreign.pk}
    assert as_user(api, other_county_admin).get(f"{BASE}/records/{pending.pk}/").status_code == 404
    assert as_user(api, expert_user).get(f"{BASE}/records/").status_code == 403
    assert APIClient().get(f"{BASE}/records/").status_code == 401


def test_mgmt3_teacher_submits_with_evidence_and_is_refused_without(api, teacher_user, teacher, county_admin):
    client = as_user(api, teacher_user)
    data = {"year": 2020, "kind": "school_based", "title": "校本研修：信息技术与学科融合", "theory_hours": "10",
            "practice_hours": "15", "is_it20": "true"}
    refused = client.post(f"{BASE}/records/", data, format="multipart")
    assert refused.status_code == 400 and "证明材料" in str(refused.json())
    response = client.post(f"{BASE}/records/", {**data, "evidence": SimpleUploadedFile("证明.pdf", MINIMAL_PDF)},
                           format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["is_it20"] and body["evidence_url"].endswith("/evidence/")
    assert as_user(api, county_admin).post(f"{BASE}/records/", data, format="multipart").status_code == 403


def test_mgmt3_approve_reject_three_personas(api, county_admin, other_county_admin, city_admin, school):
    from guopei.teachers.tests.factories import TeacherFactory

    a, b = (HourRecordFactory(teacher=TeacherFactory(school=school)) for _ in range(2))
    assert as_user(api, other_county_admin).post(f"{BASE}/records/{a.pk}/approve/").status_code == 404
    assert as_user(api, city_admin).post(f"{BASE}/records/{a.pk}/approve/").status_code == 403
    response = as_user(api, county_admin).post(f"{BASE}/records/{a.pk}/approve/")
    assert response.status_code == 200 and response.json()["status"] == "recognised"
    assert response.json()["credits"] == "5.00"
    assert as_user(api, county_admin).post(f"{BASE}/records/{a.pk}/approve/").status_code == 400
    assert as_user(api, county_admin).post(f"{BASE}/records/{b.pk}/reject/", {"reason": ""}).status_code == 400
    response = as_user(api, county_admin).post(f"{BASE}/records/{b.pk}/reject/", {"reason": "学时超出培训天数"})
    assert response.status_code == 200 and response.json()["reject_reason"] == "学时超出培训天数"


def test_mgmt3_queue_and_bulk_approve(api, county_admin, other_county_admin, teacher_user, pending, foreign):
    assert ids(as_user(api, county_admin).get(f"{BASE}/records/queue/")) == {pending.pk}
    assert as_user(api, teacher_user).get(f"{BASE}/records/queue/").status_code == 403
    refused = as_user(api, other_county_admin).post(f"{BASE}/records/bulk-approve/", {"ids": [pending.pk, foreign.pk]})
    assert refused.status_code == 403
    response = as_user(api, county_admin).post(f"{BASE}/records/bulk-approve/", {"ids": [pending.pk]})
    assert response.status_code == 200 and response.json() == {"approved": [pending.pk], "skipped": 0}
    assert AuditEvent.objects.filter(action="credits.hour_record_approve", object_id=str(pending.pk)).exists()
    assert HourRecord.objects.get(pk=foreign.pk).status == "submitted"


def test_teacher_totals_three_personas(api, county_admin, other_county_admin, teacher_user, teacher, other_teacher):
    recognised(HourRecordFactory(teacher=teacher, year=2020), county_admin)
    response = as_user(api, county_admin).get(f"{BASE}/teacher-totals/", {"year": 2020})
    rows = {r["id"]: r for r in response.json()["results"]}
    assert set(rows) == {teacher.pk} and rows[teacher.pk]["year_hours"] == "50.0"
    assert rows[teacher.pk]["cycle_credits"] == "5.00" and rows[teacher.pk]["year"] == 2020
    assert ids(as_user(api, other_county_admin).get(f"{BASE}/teacher-totals/")) == {other_teacher.pk}
    assert as_user(api, other_county_admin).get(f"{BASE}/teacher-totals/{teacher.pk}/").status_code == 404
    assert as_user(api, teacher_user).get(f"{BASE}/teacher-totals/").status_code == 403


def test_plan5_it20_endpoints_three_personas(api, province_admin, county_admin, other_county_admin, teacher_user,
                                            school, teacher):
    ProjectCounty.objects.create(year=2020, county_id="140105", is_it20=True)
    ProjectCounty.objects.create(year=2020, county_id="140213", is_it20=True)
    recognised(HourRecordFactory(teacher=teacher, is_it20=True, theory_hours=D("25"), practice_hours=D("25")),
               county_admin)
    counties = {r["region_code"]: r for r in as_user(api, province_admin).get(f"{BASE}/it20-counties/").json()[
        "results"]}
    assert counties["140105"]["teachers"] == 1 and counties["140105"]["complete"] == 1
    assert counties["140105"]["share"] == "100.0" and counties["140213"]["teachers"] == 0
    own = as_user(api, county_admin).get(f"{BASE}/it20-schools/").json()["results"]
    assert [(r["id"], r["complete"]) for r in own] == [(school.pk, 1)]
    assert as_user(api, other_county_admin).get(f"{BASE}/it20-schools/{school.pk}/").status_code == 404
    assert as_user(api, teacher_user).get(f"{BASE}/it20-schools/").status_code == 403
    assert as_user(api, county_admin).get(f"{BASE}/it20-counties/", {"year": 2019}).json()["results"] == []
