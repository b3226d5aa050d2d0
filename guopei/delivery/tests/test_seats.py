"""The seat statements behind self-selection (MGMT-3, docs/adr/0004-seat-booking.md): what they write, how many
statements a request costs, and the seat endpoints' authentication, which must answer exactly like DRF's.

Runs on the configured database: on PostgreSQL a take is checked and written by one call of the seat function
(`seats.take_call`) and a cancel by one statement (`seats.cancel`), on SQLite step by step; both must leave the same
rows behind.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from guopei.api.base import ROLE_DENIED
from guopei.core.audit import audit_record
from guopei.core.models import AuditEvent
from guopei.delivery import seats, services
from guopei.delivery.api import SEAT_RENDERER
from guopei.delivery.models import Enrolment, Notice, Offering, Seat
from guopei.delivery.serializers import SeatSerializer
from guopei.orgs.models import Membership, Region
from guopei.orgs.scoping import roles_of
from guopei.orgs.tests.factories import make_user

from .factories import enrol, open_offering, teachers_with_accounts, trainee

pytestmark = pytest.mark.django_db
Role = Membership.Role
BASE = "/api/v1/delivery"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the transaction control around them."""
    return [q["sql"] for q in queries.captured_queries if not q["sql"].strip().upper().startswith(TRANSACTION_CONTROL)]


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


# --- the service ----------------------------------------------------------------------------------------------------
def test_mgmt3_seat_request_is_one_call_or_two_statements_where_the_database_allows(klass, staff, teacher,
                                                                                      teacher_user):
    offering = open_offering(klass, staff)
    roles_of(teacher_user)  # read with the user on the API (one statement with the token) or by the page's role check
    with CaptureQueriesContext(connection) as queries:
        seat = services.seat_take(actor=teacher_user, offering=offering.pk)
    sent = statements(queries)
    if seats.one_statement():
        assert sent == [seats._TAKE_CALL.replace("%s", "$%d") % tuple(range(1, 10))]  # the seat function, once
    else:
        # lock (the IMMEDIATE transaction already holds it), checks, count, seat, enrolment, audit event
        assert len(sent) <= 6, sent
    assert seat.status == Seat.Status.HELD
    with CaptureQueriesContext(connection) as queries:
        services.seat_cancel(actor=teacher_user, seat=seat.pk)
    assert len(statements(queries)) == 2 if seats.one_statement() else len(statements(queries)) <= 7


def test_mgmt3_returned_seat_is_what_the_database_holds(klass, staff, school):
    offering = open_offering(klass, staff, capacity=1)
    (u1, _), (u2, _) = teachers_with_accounts(school, 2, "seat")
    for user in (u1, u2):
        returned = services.seat_take(actor=user, offering=offering.pk)
        stored = Seat.objects.get(pk=returned.pk)
        assert SEAT_RENDERER.to_representation(returned) == SeatSerializer(stored).data
    again = services.seat_take(actor=u2, offering=offering)
    assert SEAT_RENDERER.to_representation(again) == SeatSerializer(Seat.objects.get(pk=again.pk)).data
    cancelled = services.seat_cancel(actor=u2, seat=again)
    assert SEAT_RENDERER.to_representation(cancelled) == SeatSerializer(Seat.objects.get(pk=again.pk)).data
    assert cancelled.status == Seat.Status.CANCELLED
    assert cancelled.created_at == Seat.objects.get(pk=again.pk).created_at  # not read: loaded on access


def test_mgmt3_seat_rows_match_what_the_orm_would_write(klass, staff, teacher, teacher_user):
    """Every column the statement leaves to its default holds what `Enrolment.objects.create` would have written."""
    offering = open_offering(klass, staff)
    seat = services.seat_take(actor=teacher_user, offering=offering)
    written = Enrolment.objects.get(seat=seat)
    expected = Enrolment(klass=klass, teacher=teacher, school_id=teacher.school_id, region_code=teacher.region_code,
                         source=Enrolment.Source.SELECTION, seat=seat)
    skip = {"id", "created_at", "updated_at"}
    for field in Enrolment._meta.concrete_fields:
        if field.attname not in skip:
            assert getattr(written, field.attname) == getattr(expected, field.attname), field.attname
    assert Seat.objects.get(pk=seat.pk).queued_at <= written.created_at <= written.updated_at


def test_mgmt3_audit_events_of_seat_statements_match_audit_record(klass, staff, teacher, teacher_user):
    offering = open_offering(klass, staff)
    seat = services.seat_take(actor=teacher_user, offering=offering)
    services.seat_cancel(actor=teacher_user, seat=seat)
    took, gave_back = AuditEvent.objects.filter(object_type="delivery.seat").order_by("id")
    reference = audit_record(actor=teacher_user, action="delivery.seat_take", obj=seat, region_code=teacher.region_code,
                             detail={"offering": offering.pk, "status": "held"})
    for field in ("actor_id", "actor_name", "role", "action", "object_type", "object_id", "region_code", "detail",
                  "ip_address"):
        assert getattr(took, field) == getattr(reference, field), field
    assert gave_back.action == "delivery.seat_cancel" and gave_back.object_id == str(seat.pk)
    assert gave_back.detail == {"offering": offering.pk, "was_held": True, "promoted_seat": None}
    assert gave_back.role == reference.role and gave_back.region_code == "140105"


def test_mgmt3_retaking_after_cancel_reuses_the_seat_and_the_enrolment(klass, staff, teacher, teacher_user):
    offering = open_offering(klass, staff)
    seat = services.seat_take(actor=teacher_user, offering=offering)
    enrolment = Enrolment.objects.get(seat=seat)
    services.seat_cancel(actor=teacher_user, seat=seat)
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.CANCELLED
    again = services.seat_take(actor=teacher_user, offering=offering)
    assert again.pk == seat.pk and Seat.objects.get(pk=seat.pk).status == Seat.Status.HELD
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ENROLLED and enrolment.seat_id == seat.pk
    assert Enrolment.objects.filter(klass=klass, teacher=teacher).count() == 1
    assert Offering.objects.get(pk=offering.pk).taken == 1


def test_mgmt3_nominee_already_in_the_class_cannot_take_a_seat_in_it(klass, staff, teacher, teacher_user):
    enrol(klass, teacher)
    offering = open_offering(klass, staff)
    with pytest.raises(ValidationError, match="已在该班次"):
        services.seat_take(actor=teacher_user, offering=offering)
    assert Offering.objects.get(pk=offering.pk).taken == 0 and not Seat.objects.exists()


def test_mgmt3_cancel_passes_over_a_waitlisted_teacher_already_in_the_class(klass, staff, school):
    offering = open_offering(klass, staff, capacity=1)
    (u1, _), (u2, t2), (u3, t3) = teachers_with_accounts(school, 3, "seat")
    held = services.seat_take(actor=u1, offering=offering)
    passed = services.seat_take(actor=u2, offering=offering)
    promoted = services.seat_take(actor=u3, offering=offering)
    enrol(klass, t2)  # in the class by another route meanwhile (a nomination)

    services.seat_cancel(actor=u1, seat=held)

    assert Seat.objects.get(pk=passed.pk).status == Seat.Status.RELEASED
    assert Seat.objects.get(pk=promoted.pk).status == Seat.Status.HELD
    assert Offering.objects.get(pk=offering.pk).taken == 1
    assert Enrolment.objects.get(klass=klass, teacher=t3).seat_id == promoted.pk
    assert Enrolment.objects.get(klass=klass, teacher=t2).source == Enrolment.Source.NOMINATION
    assert Notice.objects.filter(recipient=u3).count() == 1 and not Notice.objects.filter(recipient=u2).exists()
    event = AuditEvent.objects.get(action="delivery.seat_cancel")
    assert event.detail == {"offering": offering.pk, "was_held": True, "promoted_seat": promoted.pk}


def test_mgmt3_giving_up_a_waitlist_place_frees_no_seat(klass, staff, school):
    offering = open_offering(klass, staff, capacity=1)
    (u1, _), (u2, _), (u3, _) = teachers_with_accounts(school, 3, "seat")
    held = services.seat_take(actor=u1, offering=offering)
    waiting = services.seat_take(actor=u2, offering=offering)
    behind = services.seat_take(actor=u3, offering=offering)
    services.seat_cancel(actor=u2, seat=waiting.pk)
    assert Offering.objects.get(pk=offering.pk).taken == 1
    assert Seat.objects.get(pk=held.pk).status == Seat.Status.HELD
    assert Seat.objects.get(pk=behind.pk).status == Seat.Status.WAITLISTED
    assert not Notice.objects.exists()


def test_mgmt3_cancel_of_a_closed_offering_frees_the_seat_without_promoting(klass, staff, school):
    offering = open_offering(klass, staff, capacity=1)
    (u1, _), (u2, _) = teachers_with_accounts(school, 2, "seat")
    held = services.seat_take(actor=u1, offering=offering)
    services.seat_take(actor=u2, offering=offering)
    Offering.objects.filter(pk=offering.pk).update(status=Offering.Status.CLOSED)
    services.seat_cancel(actor=u1, seat=held)
    assert Offering.objects.get(pk=offering.pk).taken == 0
    assert Seat.objects.filter(status=Seat.Status.HELD).count() == 0


def test_mgmt3_cancel_refuses_someone_elses_seat_and_a_given_up_one(klass, staff, school):
    offering = open_offering(klass, staff)
    (u1, _), (u2, _) = teachers_with_accounts(school, 2, "seat")
    seat = services.seat_take(actor=u1, offering=offering)
    with pytest.raises(PermissionDenied):
        services.seat_cancel(actor=u2, seat=seat.pk)
    with pytest.raises(Seat.DoesNotExist):
        services.seat_cancel(actor=u1, seat=seat.pk + 1000)
    services.seat_cancel(actor=u1, seat=seat.pk)
    with pytest.raises(ValidationError, match="已退选"):
        services.seat_cancel(actor=u1, seat=seat.pk)
    assert Offering.objects.get(pk=offering.pk).taken == 0


def test_seat_statements_stay_short_enough_for_the_driver_to_cache_them():
    """psycopg re-parses a statement longer than 4,096 bytes (or with more than 50 parameters) on every execution;
    keep the statements the client sends under both (a new Enrolment field adds a column and a parameter). The take's
    statement is sent as such on SQLite's path only, and on PostgreSQL lives in the seat function."""
    for build in (seats._take_sql, seats._cancel_sql):
        sql, *_ = build()
        assert len(sql.encode()) <= 4096
        assert len(set(re.findall(r"%\((\w+)\)s", sql))) <= 50


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the seat function is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_mgmt3_seat_take_outside_a_transaction_is_one_round_trip(klass, staff, teacher, teacher_user):
    """No BEGIN, no COMMIT: the function call is its own transaction, committed when it returns."""
    offering = open_offering(klass, staff, capacity=1)
    roles_of(teacher_user)  # the API reads them with the token; the audit event names them
    with CaptureQueriesContext(connection) as queries:
        seat = services.seat_take(actor=teacher_user, offering=offering.pk)
    assert [q["sql"] for q in queries.captured_queries] == [
        seats._TAKE_CALL.replace("%s", "$%d") % tuple(range(1, 10))]
    assert not connection.in_atomic_block and connection.get_autocommit()
    assert Seat.objects.get(pk=seat.pk).status == Seat.Status.HELD
    assert Offering.objects.get(pk=offering.pk).taken == 1
    assert Enrolment.objects.filter(seat=seat, status=Enrolment.Status.ENROLLED).count() == 1
    assert AuditEvent.objects.filter(action="delivery.seat_take", object_id=str(seat.pk)).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the seat function is PostgreSQL's")
def test_seat_function_follows_the_models_and_migrate_reinstalls_it():
    """`migrate` (post_migrate) leaves the function built from today's models; a dropped one comes back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [seats.TAKE_FUNCTION])
        (source,) = cursor.fetchone()
        assert source in seats.take_function_sql()
        cursor.execute(f"DROP FUNCTION {seats.TAKE_FUNCTION}")
    seats.install_functions(using="default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_proc WHERE proname = %s", [seats.TAKE_FUNCTION])
        assert cursor.fetchone() == (1,)
        # An older function with other result columns is dropped and replaced.
        cursor.execute(f"DROP FUNCTION {seats.TAKE_FUNCTION}")
        cursor.execute(f"CREATE FUNCTION {seats.TAKE_FUNCTION}(bigint, text, text, text, bigint, timestamptz, date, "
                       "integer, boolean) RETURNS integer LANGUAGE sql AS 'SELECT 1'")
    seats.install_functions(using="default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [seats.TAKE_FUNCTION])
        assert [source for (source,) in cursor.fetchall()] == [source]


def test_seat_function_refuses_a_default_it_cannot_write():
    """A column whose default is computed for every row (a uuid, a time) cannot be written as a constant in the
    function's body: building the function says so instead of writing one value for every seat."""
    import uuid

    from django.db import models

    field = models.UUIDField(default=uuid.uuid4)
    field.set_attributes_from_name("token")
    with pytest.raises(LookupError, match="computed per row"):
        seats._literal(uuid.uuid4(), field)
    if connection.vendor == "postgresql":
        constant = models.CharField(default="")
        constant.set_attributes_from_name("note")
        assert seats._literal("", constant) == "''"
        criteria = models.JSONField(default=dict)
        assert seats._literal(criteria.get_db_prep_save({}, connection), criteria) == "'{}'::jsonb"


@pytest.mark.parametrize("region, within", [
    ("140000", True), ("140100", True), ("140105", True), ("140106", False), ("140200", False), ("140213", False),
    ("150000", False),
])
def test_mgmt3_offering_region_reach_is_the_scoping_rule(klass, staff, teacher, teacher_user, region, within):
    """The seat function's region test (SQL) and `code_within` (Python, SQLite's path) agree: a province's or a
    city's offering reaches the counties below it, a county's only itself."""
    from guopei.orgs.scoping import code_within

    assert teacher.region_code == "140105"
    assert code_within(teacher.region_code, region) is within
    offering = open_offering(klass, staff, region=region)
    if within:
        assert services.seat_take(actor=teacher_user, offering=offering.pk).status == Seat.Status.HELD
    else:
        with pytest.raises(services.NotOffered):
            services.seat_take(actor=teacher_user, offering=offering.pk)
        assert not Seat.objects.filter(offering=offering).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the seat function is PostgreSQL's")
def test_mgmt3_count_moved_without_a_seat_rolls_the_request_back(klass, staff, teacher, teacher_user):
    """Should bringing back a cancelled seat write nothing after the count moved (a trigger here makes the seat's
    UPDATE skip the row), the function raises: the teacher is asked to try again and the count stays."""
    offering = open_offering(klass, staff, capacity=3)
    seat = services.seat_take(actor=teacher_user, offering=offering.pk)
    services.seat_cancel(actor=teacher_user, seat=seat.pk)
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION pg_temp.skip_row() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RETURN NULL; END $$")
        cursor.execute("CREATE TRIGGER skip_seat_update BEFORE UPDATE ON delivery_seat FOR EACH ROW "
                       "EXECUTE FUNCTION pg_temp.skip_row()")
    with pytest.raises(ValidationError, match="操作冲突"):
        services.seat_take(actor=teacher_user, offering=offering.pk)
    assert Offering.objects.get(pk=offering.pk).taken == 0
    assert Seat.objects.get(pk=seat.pk).status == Seat.Status.CANCELLED
    assert not AuditEvent.objects.filter(action="delivery.seat_take", object_id=str(seat.pk)).exclude(
        at__lt=Seat.objects.get(pk=seat.pk).cancelled_at).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_mgmt3_seat_statements_work_prepared(klass, staff, school):
    """Deployed with `prepare_threshold`, the statements are prepared on first use and reused with new values."""
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        offering = open_offering(klass, staff, capacity=2)
        chosen = [services.seat_take(actor=user, offering=offering.pk)
                  for user, _ in teachers_with_accounts(school, 4, "seat")]
        assert [s.status for s in chosen] == ["held", "held", "waitlisted", "waitlisted"]
        services.seat_cancel(actor=chosen[0].teacher.user, seat=chosen[0].pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH %%'")
            assert cursor.fetchone()[0] == 1  # the cancel's statement
            cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                           [f"SELECT * FROM {seats.TAKE_FUNCTION}(%"])
            assert cursor.fetchone()[0] == 1
    finally:
        raw.prepare_threshold = before
    assert Seat.objects.get(pk=chosen[2].pk).status == Seat.Status.HELD
    assert Offering.objects.get(pk=offering.pk).taken == 2


# --- the endpoints --------------------------------------------------------------------------------------------------
@pytest.fixture
def offering(klass, staff):
    return open_offering(klass, staff, region="140105")


def answer(response):
    return response.status_code, response.json(), response.get("WWW-Authenticate")


def test_mgmt3_take_of_an_offering_id_past_the_key_range_is_404(teacher, teacher_user):
    """An id of digits that no bigint holds finds no offering (404), on either path, instead of a database error."""
    client = token_client(teacher_user)
    for pk in (2**63, 10**30):
        assert client.post(f"{BASE}/offerings/{pk}/take/").status_code == 404
    client.force_login(teacher_user)
    client.credentials()
    assert client.post(f"{BASE}/offerings/{2**63}/take/").status_code == 404
    with pytest.raises(services.NotOffered):
        services.seat_take(actor=teacher_user, offering=2**63)
    assert not Seat.objects.exists()


def test_take_by_token_three_personas(offering, teacher, teacher_user, other_school, staff):
    other = make_user(Role.TEACHER, school=other_school, username="seat_other")
    trainee(other_school, other)
    url = f"{BASE}/offerings/{offering.pk}/take/"
    assert token_client(other).post(url).status_code == 404
    assert answer(token_client(staff).post(url)) == (403, {"detail": ROLE_DENIED}, None)
    response = token_client(teacher_user).post(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    seat = Seat.objects.get(teacher=teacher)
    assert response.json() == SeatSerializer(seat).data
    assert AuditEvent.objects.get(action="delivery.seat_take").ip_address == "127.0.0.1"
    assert token_client(teacher_user).post(f"{BASE}/offerings/{offering.pk + 1000}/take/").status_code == 404
    assert token_client(teacher_user).post(f"{BASE}/offerings/x1/take/").status_code == 404


def test_take_refusals_are_400_with_chinese_messages(offering, teacher, teacher_user, settings):
    settings.DELIVERY_WAITLIST = False
    Offering.objects.filter(pk=offering.pk).update(capacity=1, taken=1)
    response = token_client(teacher_user).post(f"{BASE}/offerings/{offering.pk}/take/")
    assert response.status_code == 400 and response.json() == [services.ERR_OFFERING_FULL]
    assert Offering.objects.get(pk=offering.pk).taken == 1 and not Seat.objects.exists()


def test_seat_token_authentication_answers_like_drfs(offering, teacher_user):
    """Bad, malformed and inactive tokens get DRF's own answers (compared with an endpoint on the default
    authentication); a teacher-role account without a teacher record gets the service's 403."""
    take = f"{BASE}/offerings/{offering.pk}/take/"
    default = f"{BASE}/classes/"
    for header in ("Token nope", "Token", "Token a b"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert answer(client.post(take)) == answer(client.get(default)), header
        assert client.post(take).status_code == 401
    assert answer(APIClient().post(take)) == answer(APIClient().get(default))
    gone = token_client(teacher_user)
    teacher_user.is_active = False
    teacher_user.save(update_fields=["is_active"])
    assert answer(gone.post(take)) == answer(gone.get(default))
    assert gone.post(take).status_code == 401
    nobody = make_user(Role.TEACHER, school=teacher_user.memberships.get().school, username="no_record")
    response = token_client(nobody).post(take)
    assert response.status_code == 403 and response.json() == {"detail": services.ERR_NOT_TEACHER}


def test_seat_token_authentication_reads_the_user_and_roles_in_one_statement(offering, teacher, teacher_user):
    client = token_client(teacher_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"{BASE}/offerings/{offering.pk}/take/").status_code == 200
    sent = statements(queries)
    assert "authtoken_token" in sent[0] and "orgs_membership" in sent[0]
    assert len(sent) == 2 if seats.one_statement() else len(sent) <= 7, sent  # the token, the seat function


def test_take_by_session_needs_the_csrf_token(offering, teacher, teacher_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(teacher_user)
    url = f"{BASE}/offerings/{offering.pk}/take/"
    assert client.post(url).status_code == 403
    client.get("/delivery/offerings/")  # a page sets the CSRF cookie
    response = client.post(url, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 200 and response.json()["status"] == "held"


def test_cancel_by_token_three_personas(offering, teacher, teacher_user, other_school, staff, institution):
    seat = services.seat_take(actor=teacher_user, offering=offering)
    url = f"{BASE}/seats/{seat.pk}/cancel/"
    other = make_user(Role.TEACHER, school=other_school, username="seat_other")
    trainee(other_school, other)
    assert token_client(other).post(url).status_code == 404
    assert answer(token_client(staff).post(url)) == (403, {"detail": ROLE_DENIED}, None)
    # A teacher who also works at the institution sees the seat, but may give up only their own.
    both = make_user(Role.TEACHER, school=other_school, username="seat_both")
    trainee(other_school, both)
    Membership.objects.create(user=both, role=Role.INSTITUTION_STAFF, region=Region.objects.get(code="140100"),
                              institution=institution)
    response = token_client(both).post(url)
    assert response.status_code == 403 and response.json() == {"detail": services.ERR_SEAT_NOT_OWN}
    assert token_client(teacher_user).post(f"{BASE}/seats/{seat.pk + 1000}/cancel/").status_code == 404
    response = token_client(teacher_user).post(url)
    assert response.status_code == 200 and response.json() == SeatSerializer(Seat.objects.get(pk=seat.pk)).data
    again = token_client(teacher_user).post(url)
    assert again.status_code == 400 and again.json() == [services.ERR_SEAT_STATE]
    assert Offering.objects.get(pk=offering.pk).taken == 0
    assert timezone.now() >= Seat.objects.get(pk=seat.pk).cancelled_at


def test_seat_endpoint_refuses_an_expired_token(teacher_user, settings):
    """The rush's one-statement authentication keeps the API's token lifetime (docs/security.md)."""
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    settings.API_TOKEN_TTL_HOURS = 12
    token = Token.objects.create(user=teacher_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=13))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post("/api/v1/delivery/offerings/1/take/")
    assert response.status_code == 401
    assert "接口令牌已过期" in response.json()["detail"]
