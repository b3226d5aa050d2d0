"""The seat endpoints served ahead of the router (MGMT-3, `guopei/delivery/api_first.py`): a token-authenticated
take or cancel answers exactly as the viewset action would (status, body, headers, audit event), and everything
else is answered by the action itself."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from guopei.api.base import ROLE_DENIED
from guopei.core.models import AuditEvent
from guopei.delivery import api_first, services
from guopei.delivery.api import SEAT_RENDERER
from guopei.delivery.models import Offering, Seat
from guopei.delivery.serializers import SeatSerializer
from guopei.orgs.models import Membership, Region
from guopei.orgs.tests.factories import make_user

from .factories import open_offering, teachers_with_accounts

pytestmark = pytest.mark.django_db
Role = Membership.Role
BASE = "/api/v1/delivery"
# Headers that differ between two answers for reasons other than the path taken.
VARYING = {"Content-Length"}


@pytest.fixture
def offering(klass, staff):
    return open_offering(klass, staff, region="140105")


@pytest.fixture
def full_calls(monkeypatch):
    """Record every request the two endpoints hand to the viewset action."""
    calls: list[str] = []
    for endpoint in (api_first.take_endpoint, api_first.cancel_endpoint):
        def spy(request, *args, _view=endpoint.full_view, **kwargs):
            calls.append(request.path)
            return _view(request, *args, **kwargs)

        monkeypatch.setattr(endpoint, "full_view", spy)
    return calls


@pytest.fixture
def only_full_view(monkeypatch):
    """Send every request to the viewset action: the answers before the lean path existed."""
    monkeypatch.setattr(api_first, "lean_request", lambda request: None)


def client_for(user, **extra) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT="application/json")
    return client


def teachers(school, n, prefix):
    return [user for user, _ in teachers_with_accounts(school, n, prefix)]


def headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name not in VARYING}


def audit(action: str, seat_id: int) -> dict:
    event = AuditEvent.objects.get(action=action, object_id=str(seat_id))
    return {"role": event.role, "object_type": event.object_type, "region_code": event.region_code,
            "ip_address": event.ip_address, "detail_keys": sorted(event.detail),
            "status": event.detail.get("status"), "was_held": event.detail.get("was_held")}


def take_and_cancel(user, offering) -> list:
    """A take, a second take of the same offering (the same seat back), a cancel and a second cancel (400)."""
    client = client_for(user)
    taken = client.post(f"{BASE}/offerings/{offering.pk}/take/")
    seat_id = taken.json()["id"]
    again = client.post(f"{BASE}/offerings/{offering.pk}/take/")
    seat = Seat.objects.get(pk=seat_id)
    assert taken.json() == again.json() == SeatSerializer(seat).data
    cancelled = client.post(f"{BASE}/seats/{seat_id}/cancel/")
    assert cancelled.json() == SeatSerializer(Seat.objects.get(pk=seat_id)).data
    refused = client.post(f"{BASE}/seats/{seat_id}/cancel/")
    answers = [(r.status_code, headers(r)) for r in (taken, again, cancelled, refused)]
    bodies = [{k: v for k, v in r.json().items() if k not in ("id", "teacher", "queued_at", "cancelled_at")}
              for r in (taken, again, cancelled)] + [refused.json()]
    return [answers, bodies, audit("delivery.seat_take", seat_id), audit("delivery.seat_cancel", seat_id)]


def test_mgmt3_lean_take_and_cancel_answer_as_the_actions(offering, school, monkeypatch, full_calls):
    lean_user, full_user = teachers(school, 2, "lean")
    lean = take_and_cancel(lean_user, offering)
    assert full_calls == []  # every one of those answered without the framework's dispatch
    monkeypatch.setattr(api_first, "lean_request", lambda request: None)
    full = take_and_cancel(full_user, offering)
    assert len(full_calls) == 4
    assert lean == full
    assert lean[0][0][0] == 200 and lean[0][3][0] == 400
    assert lean[0][0][1]["Cache-Control"] == "no-store, private" and lean[0][0][1]["Allow"] == "POST, OPTIONS"
    assert lean[1][3] == [services.ERR_SEAT_STATE]


def refusals(offering, users, settings) -> list:
    """The answers a teacher can get from the service: 400 (full, no waitlist), 404 (not offered to them, no such
    offering), 403 (a teacher account without a teacher record)."""
    settings.DELIVERY_WAITLIST = False
    full, elsewhere, nobody = users
    Offering.objects.filter(pk=offering.pk).update(capacity=1, taken=1)
    got = [client_for(full).post(f"{BASE}/offerings/{offering.pk}/take/"),
           client_for(elsewhere).post(f"{BASE}/offerings/{offering.pk}/take/"),
           client_for(full).post(f"{BASE}/offerings/{offering.pk + 1000}/take/"),
           client_for(nobody).post(f"{BASE}/offerings/{offering.pk}/take/")]
    return [(r.status_code, r.json(), headers(r)) for r in got]


def test_mgmt3_lean_take_refusals_answer_as_the_action(offering, school, other_school, settings, monkeypatch,
                                                      full_calls):
    elsewhere = teachers(other_school, 1, "far")[0]
    nobody = make_user(Role.TEACHER, school=school, username="no_record")
    users = [teachers(school, 1, "full")[0], elsewhere, nobody]
    lean = refusals(offering, users, settings)
    assert full_calls == []
    monkeypatch.setattr(api_first, "lean_request", lambda request: None)
    assert refusals(offering, users, settings) == lean
    assert [status for status, _, _ in lean] == [400, 404, 404, 403]
    assert lean[0][1] == [services.ERR_OFFERING_FULL] and lean[3][1] == {"detail": services.ERR_NOT_TEACHER}
    assert not Seat.objects.exists()


def test_mgmt3_cancel_of_a_seat_not_ones_own_is_answered_by_the_action(offering, school, other_school, institution,
                                                                     full_calls):
    owner = teachers(school, 1, "own")[0]
    seat = services.seat_take(actor=owner, offering=offering)
    url = f"{BASE}/seats/{seat.pk}/cancel/"
    stranger = teachers(other_school, 1, "stranger")[0]
    both = teachers(other_school, 1, "both")[0]  # a teacher who also works at the institution sees the seat
    Membership.objects.create(user=both, role=Role.INSTITUTION_STAFF, region=Region.objects.get(code="140100"),
                              institution=institution)
    assert client_for(stranger).post(url).status_code == 404
    response = client_for(both).post(url)
    assert response.status_code == 403 and response.json() == {"detail": services.ERR_SEAT_NOT_OWN}
    assert client_for(owner).post(f"{BASE}/seats/{seat.pk + 1000}/cancel/").status_code == 404
    assert full_calls == [url, url, f"{BASE}/seats/{seat.pk + 1000}/cancel/"]
    assert Seat.objects.get(pk=seat.pk).status == Seat.Status.HELD


def test_requests_the_lean_path_does_not_answer_go_to_the_action(offering, teacher, teacher_user, staff,
                                                                full_calls):
    """Session sign-in (and its CSRF check), no or another scheme, bad tokens, the wrong role, other methods and
    media types: the viewset action answers, with DRF's statuses, messages and headers."""
    take = f"{BASE}/offerings/{offering.pk}/take/"
    key = Token.objects.get_or_create(user=teacher_user)[0].key
    plain = APIClient()
    cases = [
        (plain.post(take), 401),
        (plain.post(take, HTTP_AUTHORIZATION="Bearer x"), 401),
        (plain.post(take, HTTP_AUTHORIZATION="Token"), 401),
        (plain.post(take, HTTP_AUTHORIZATION="Token a b"), 401),
        (plain.post(take, HTTP_AUTHORIZATION="Token nope"), 401),
        (client_for(staff).post(take), 403),
        (plain.get(take, HTTP_AUTHORIZATION=f"Token {key}"), 405),
        (plain.options(take, HTTP_AUTHORIZATION=f"Token {key}"), 200),
        (plain.post(take, HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT="text/html"), 406),
        (plain.post(take, HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT="application/json; indent=2"), 200),
        (plain.post(f"{take}?format=json", HTTP_AUTHORIZATION=f"Token {key}"), 200),
    ]
    assert [response.status_code for response, _ in cases] == [status for _, status in cases]
    assert len(full_calls) == len(cases)
    assert cases[4][0]["WWW-Authenticate"] == "Token" and cases[5][0].json() == {"detail": ROLE_DENIED}
    assert b"\n" in cases[9][0].content  # indented as asked: DRF's negotiation, not the lean path
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(teacher_user)
    assert session.post(take).status_code == 403  # no CSRF token: the session path keeps DRF's check
    assert len(full_calls) == len(cases) + 1


def test_seat_endpoints_resolve_ahead_of_the_router_and_keep_their_names_and_schema(offering, county_admin):
    take = reverse("api:delivery-offering-take", args=[offering.pk])
    cancel = reverse("api:delivery-seat-cancel", args=[7])
    assert (take, cancel) == (f"{BASE}/offerings/{offering.pk}/take/", f"{BASE}/seats/7/cancel/")
    assert resolve(take).func is api_first.take_endpoint and resolve(cancel).func is api_first.cancel_endpoint
    assert getattr(resolve(f"{BASE}/offerings/x1/take/").func, "cls", None) is not None  # the router's
    api = APIClient()
    api.force_login(county_admin)
    paths = api.get("/api/schema/?format=json").json()["paths"]
    for path in ("/api/v1/delivery/offerings/{id}/take/", "/api/v1/delivery/seats/{id}/cancel/"):
        assert list(paths[path]) == ["post"], path
        assert paths[path]["post"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


def test_mgmt3_lean_take_sends_no_more_statements_than_the_action(offering, school, monkeypatch):
    """The token with the memberships, and the seat request's own statements (two on PostgreSQL)."""
    lean_user, full_user = teachers(school, 2, "count")
    counts = []
    for user in (lean_user, full_user):
        client = client_for(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.post(f"{BASE}/offerings/{offering.pk}/take/").status_code == 200
        counts.append(len(queries.captured_queries))
        monkeypatch.setattr(api_first, "lean_request", lambda request: None)
    assert counts[0] == counts[1]


def test_the_lean_path_refuses_an_action_with_a_rate_limit():
    """A throttled action must not be served past its limit by the lean path: building the endpoint fails."""
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework.throttling import UserRateThrottle

    from guopei.delivery.api import OfferingViewSet

    class Throttled(OfferingViewSet):
        throttle_classes = [UserRateThrottle]

    with pytest.raises(ImproperlyConfigured):
        api_first.SeatEndpoint(api_first._action_view(Throttled, "take", "delivery-offering"), api_first._take)
    assert api_first.SeatEndpoint(api_first._action_view(OfferingViewSet, "take", "delivery-offering"),
                                  api_first._take).allow


def test_seat_json_is_the_serializers_body(offering, school):
    """The lean answer's body is byte for byte what `SEAT_RENDERER` and DRF's JSON renderer give, for a held, a
    waitlisted (later promoted) and a cancelled seat, in the platform's time zone and in UTC (written `Z`)."""
    offering.capacity = 1
    offering.save(update_fields=["capacity"])
    first, second = teachers(school, 2, "json")
    held = services.seat_take(actor=first, offering=offering.pk)
    waiting = services.seat_take(actor=second, offering=offering.pk)
    cancelled = services.seat_cancel(actor=first, seat=held.pk)
    promoted = Seat.objects.get(pk=waiting.pk)
    assert promoted.status == Seat.Status.HELD and promoted.promoted_at is not None
    for zone in ("Asia/Shanghai", "UTC"):
        with timezone.override(zone):
            for seat in (held, waiting, cancelled, promoted, Seat.objects.get(pk=held.pk)):
                assert api_first.seat_json(seat) == JSONRenderer().render(SEAT_RENDERER.to_representation(seat))
