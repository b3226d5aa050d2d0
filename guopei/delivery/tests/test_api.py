"""The API, scoped like the pages: three personas on every endpoint and action."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from guopei.delivery import services
from guopei.delivery.checkin import current_slot, slot_token
from guopei.delivery.models import Certificate, Seat
from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import make_user

from .factories import close_all, enrol, make_class, open_offering, today_session, trainee

pytestmark = pytest.mark.django_db
Role = Membership.Role
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BASE = "/api/v1/delivery"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def other_teacher_user(other_school):
    user = make_user(Role.TEACHER, school=other_school, username="api_other_teacher")
    trainee(other_school, user, name="李平城")
    return user


@pytest.fixture
def setup(klass, staff, teacher):
    enrolment = enrol(klass, teacher)
    session = today_session(klass)
    offering = open_offering(make_class(klass.project, staff, sessions=False, name="API选学班"), staff,
                             region="140105")
    return enrolment, session, offering


def status(api, user, method, url, data=None, fmt="json"):
    api.force_authenticate(user)
    response = getattr(api, method)(url, data, format=fmt) if method == "post" else api.get(url)
    api.force_authenticate(None)
    return response.status_code


def test_read_endpoints_three_personas(api, setup, staff, other_staff, expert_user, county_admin,
                                       other_county_admin, klass):
    enrolment, session, offering = setup
    pairs = [
        (f"{BASE}/classes/{klass.pk}/", staff, other_staff),
        (f"{BASE}/classes/{klass.pk}/", county_admin, other_county_admin),
        (f"{BASE}/sessions/{session.pk}/", staff, other_staff),
        (f"{BASE}/enrolments/{enrolment.pk}/", county_admin, other_county_admin),
        (f"{BASE}/offerings/{offering.pk}/", staff, other_staff),
    ]
    for url, ok, other in pairs:
        assert status(api, ok, "get", url) == 200, url
        assert status(api, other, "get", url) == 404, url
        assert status(api, expert_user, "get", url) == 403, url
    for name in ("classes", "sessions", "offerings", "seats", "enrolments", "attendance", "dismissals",
                 "certificates"):
        assert status(api, staff, "get", f"{BASE}/{name}/") == 200
        assert status(api, expert_user, "get", f"{BASE}/{name}/") == 403
    api.force_authenticate(other_staff)
    assert api.get(f"{BASE}/enrolments/").json()["count"] == 0
    assert status(api, None, "get", f"{BASE}/classes/") == 401


def test_take_and_cancel_three_personas(api, setup, teacher_user, other_teacher_user, staff):
    _, _, offering = setup
    url = f"{BASE}/offerings/{offering.pk}/take/"
    assert status(api, other_teacher_user, "post", url) == 404
    assert status(api, staff, "post", url) == 403
    api.force_authenticate(teacher_user)
    response = api.post(url)
    assert response.status_code == 200 and response.json()["status"] == "held"
    seat = Seat.objects.get(pk=response.json()["id"])
    assert status(api, other_teacher_user, "post", f"{BASE}/seats/{seat.pk}/cancel/") == 404
    assert status(api, staff, "post", f"{BASE}/seats/{seat.pk}/cancel/") == 403
    api.force_authenticate(teacher_user)
    assert api.post(f"{BASE}/seats/{seat.pk}/cancel/").json()["status"] == "cancelled"


def test_checkin_mark_close_three_personas(api, setup, teacher_user, other_teacher_user, staff, other_staff):
    enrolment, session, _ = setup
    slot = current_slot(timezone.now())
    body = {"s": slot, "t": slot_token(session.pk, slot)}
    url = f"{BASE}/sessions/{session.pk}/checkin/"
    assert status(api, other_teacher_user, "post", url, body) == 404
    assert status(api, staff, "post", url, body) == 403
    api.force_authenticate(teacher_user)
    assert api.post(url, {"s": slot, "t": "bad"}, format="json").status_code == 400
    first = api.post(url, body, format="json")
    again = api.post(url, body, format="json")
    assert first.status_code == 200 and first.json()["status"] == "present" and again.json()["id"] == first.json()["id"]
    mark = f"{BASE}/sessions/{session.pk}/mark/"
    assert status(api, other_staff, "post", mark, {"marks": {str(enrolment.pk): "late"}}) == 404
    assert status(api, teacher_user, "post", mark, {"marks": {str(enrolment.pk): "late"}}) == 403
    assert status(api, staff, "post", mark, {"marks": {str(enrolment.pk): "late"}}) == 200
    assert status(api, staff, "post", mark, {"marks": {"999999": "late"}}) == 400
    close = f"{BASE}/sessions/{session.pk}/close/"
    assert status(api, other_staff, "post", close) == 404
    assert status(api, teacher_user, "post", close) == 403
    assert status(api, staff, "post", close) == 200


def test_assess_dismiss_and_incidents_three_personas(api, setup, klass, staff, other_staff, teacher_user, school,
                                                     county_admin, other_county_admin):
    enrolment, _, _ = setup
    dismiss = f"{BASE}/enrolments/{enrolment.pk}/dismiss/"
    assert status(api, other_staff, "post", dismiss, {"reason": "违纪"}, "multipart") == 404
    assert status(api, teacher_user, "post", dismiss, {"reason": "违纪"}, "multipart") == 403
    api.force_authenticate(staff)
    response = api.post(dismiss, {"reason": "违纪", "evidence": SimpleUploadedFile("证明.pdf", PDF)},
                        format="multipart")
    assert response.status_code == 201
    passer = enrol(klass, trainee(school))
    for session in klass.sessions.all():
        services.attendance_mark(actor=staff, session=session, marks={passer.pk: "present"})
    close_all(klass, staff)
    services.class_finish(actor=staff, klass=klass)
    assess = f"{BASE}/enrolments/{passer.pk}/assess/"
    assert status(api, other_staff, "post", assess, {"score": "90"}) == 404
    assert status(api, teacher_user, "post", assess, {"score": "90"}) == 403
    api.force_authenticate(staff)
    assert api.post(assess, {"score": "90"}, format="json").json()["result"] == "passed"
    assert Certificate.objects.filter(enrolment=passer).exists()
    body = {"klass": klass.pk, "occurred_at": timezone.now().isoformat(), "place": "操场", "people": "学员",
            "severity": "minor", "description": "扭伤", "actions": "冰敷", "enrolments": [passer.pk]}
    assert status(api, other_staff, "post", f"{BASE}/incidents/", body) == 404
    assert status(api, teacher_user, "post", f"{BASE}/incidents/", body) == 403
    api.force_authenticate(staff)
    incident = api.post(f"{BASE}/incidents/", body, format="json").json()
    url = f"{BASE}/incidents/{incident['id']}/"
    assert status(api, county_admin, "get", url) == 200
    assert status(api, other_county_admin, "get", url) == 404
    assert status(api, teacher_user, "get", url) == 403
