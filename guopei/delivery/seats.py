"""The statements behind a seat request and its cancellation (MGMT-3, docs/adr/0004-seat-booking.md).

`services.seat_take` and `services.seat_cancel` hold the rules and call these. Each request is one short
transaction of two statements:

1. lock the teacher's row (take) or the seat's row (cancel) and read what the rules need of it: a statement of
   its own, so that the next one's snapshot, taken after the lock was granted, sees everything committed by the
   same person's other requests;
2. on PostgreSQL, one statement with data-modifying CTEs that checks, writes the seat and the enrolment, moves the
   offering's count with the conditional `UPDATE … WHERE taken < capacity` and appends the audit event (a cancel:
   gives the seat back, promotes the first waitlisted teacher and leaves them a notice). On SQLite, which has no
   data-modifying CTEs, the services run the same steps as separate statements inside the IMMEDIATE transaction.

On PostgreSQL the take's two statements run inside one function, `guopei_seat_take` (`take_function_sql`), created
by every `migrate`: one call, sent in autocommit, is the whole transaction and a single round trip.

Written in SQL because it runs for every click of the opening rush: building the statements through the ORM cost
more than executing them. Only table and column names from the models and this module's constants are formatted
into the SQL; every value is a parameter (the function's body also holds the columns' constant defaults, quoted by
the driver). The INSERTs write every column of the model: the ones the request
decides, and for the others the field's default exactly as the ORM would write it, so a new field with a default
needs no change here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import connection, models
from django.utils import timezone

from guopei.core.models import AuditEvent
from guopei.teachers.models import IntegrityEntry, Teacher

from .models import Enrolment, Notice, Offering, Seat, TrainingClass

HELD, WAITLISTED = Seat.Status.HELD.value, Seat.Status.WAITLISTED.value
CANCELLED, RELEASED = Seat.Status.CANCELLED.value, Seat.Status.RELEASED.value
ENROLLED = Enrolment.Status.ENROLLED.value
SELECTION = Enrolment.Source.SELECTION.value


def one_statement() -> bool:
    """Whether the database runs a whole request in one statement (data-modifying CTEs: PostgreSQL)."""
    return connection.vendor == "postgresql"


def _compact(sql: str) -> str:
    """The statement on one line: under 4 kB psycopg caches how it splits a statement into its parameters, which
    otherwise costs more client time than anything else in a seat request (no quoted text here holds two spaces)."""
    return " ".join(sql.split())


def prepared_cursor() -> Any:
    """A cursor for the seat statements. On PostgreSQL it binds parameters on the server (Django's own cursors bind
    them in the client), so the statement text is the same for every request and PostgreSQL can keep it prepared
    when the deployment allows prepared statements (`OPTIONS: {"prepare_threshold": …}` in DATABASES; Django turns
    them off by default for connection poolers): then it is parsed and planned once per connection instead of on
    every click, which was most of the database's work for a seat request. Wrapped like Django's own cursors, so
    errors, query logging and the tests' query counts are the same."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]  # psycopg 3 only

    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = ServerBindingCursor(connection.connection)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


def _moment(value: Any) -> datetime | None:
    """A timestamp read by a statement as the ORM would return it: SQLite hands raw SQL naive UTC (or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _execute(sql: str, params: Any) -> tuple[Any, ...] | None:
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _lock_clause(table: str) -> str:
    # SQLite's IMMEDIATE transaction already holds the database's write lock from BEGIN.
    return f" FOR UPDATE OF {table}" if connection.features.has_select_for_update_of else ""


class _Defaults:
    """The parameters of the columns an INSERT leaves to the fields' defaults, prepared as the ORM's INSERT prepares
    them: a constant once, a callable default (a JSON field's `dict`) for every row."""

    def __init__(self, fields: list[models.Field], prefix: str) -> None:
        self.constant = {f"{prefix}_{f.column}": f.get_db_prep_save(f.get_default(), connection)
                         for f in fields if not (f.has_default() and callable(f.default))}
        self.per_row = [(f"{prefix}_{f.column}", f) for f in fields if f.has_default() and callable(f.default)]
        self.fields = {f"{prefix}_{f.column}": f for f in fields}

    def params(self) -> dict[str, Any]:
        return {**self.constant, **{name: f.get_db_prep_save(f.get_default(), connection) for name, f in self.per_row}}


def _insert(model: type[models.Model], given: Mapping[str, str], prefix: str) -> tuple[str, _Defaults]:
    """Return "(columns) SELECT values" for an INSERT … SELECT of `model`, with the SQL in `given` (by attname) for
    those columns and a named parameter `<prefix>_<column>` for every other one, and the defaults that fill them."""
    columns, values, rest = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in given:
            values.append(given[field.attname])
        else:
            values.append(f"%({prefix}_{field.column})s")
            rest.append(field)
    missing = set(given) - {f.attname for f in model._meta.concrete_fields}
    if missing:
        raise LookupError(f"{model.__name__} has no fields {sorted(missing)}")
    return f"({', '.join(columns)}) SELECT {', '.join(values)}", _Defaults(rest, prefix)


# --- take ---------------------------------------------------------------------------------------------------------
class TeacherLock(NamedTuple):
    teacher_id: int
    school_id: int
    region_code: str
    offering_id: int | None  # None: no such offering
    klass_id: int | None
    offering_region: str | None
    offering_demo: bool | None


def take_lock(*, user_id: int, offering_id: int) -> TeacherLock | None:
    """Lock the teacher's row (one person's concurrent requests queue here, so the cap holds) and read the offering's
    class and region; None when the user has no teacher record."""
    sql = f"""
SELECT t.id, t.school_id, t.region_code, o.id, o.klass_id, o.region_code, o.is_demo
FROM {Teacher._meta.db_table} t LEFT JOIN {Offering._meta.db_table} o ON o.id = %s
WHERE t.user_id = %s{_lock_clause("t")}
"""  # noqa: S608
    row = _execute(sql, [offering_id, user_id])
    return TeacherLock(*row) if row is not None else None


class TakeChecks(NamedTuple):
    banned: bool
    active_seats: int
    seat_id: int | None
    seat_status: str | None
    seat_queued_at: datetime | None
    seat_promoted_at: datetime | None
    seat_cancelled_at: datetime | None
    enrolment_id: int | None
    enrolment_status: str | None
    open_now: bool | None


_CHECKS = f"""
SELECT EXISTS (SELECT 1 FROM {IntegrityEntry._meta.db_table} e WHERE e.teacher_id = %(teacher)s
               AND e.annulled_at IS NULL AND e.event_date <= %(today)s AND e.ban_until > %(today)s) AS banned,
       (SELECT COUNT(*) FROM {Seat._meta.db_table} a WHERE a.teacher_id = %(teacher)s
        AND a.status IN ('{HELD}', '{WAITLISTED}')) AS active,
       s.id AS seat_id, s.status AS seat_status, s.queued_at, s.promoted_at, s.cancelled_at,
       en.id AS enrolment_id, en.status AS enrolment_status,
       (SELECT o.status = '{Offering.Status.OPEN.value}' AND o.opens_at <= %(now)s AND o.closes_at > %(now)s
        FROM {Offering._meta.db_table} o WHERE o.id = %(offering)s) AS open_now
FROM (SELECT 1 AS one) one
LEFT JOIN {Seat._meta.db_table} s ON s.offering_id = %(offering)s AND s.teacher_id = %(teacher)s
LEFT JOIN {Enrolment._meta.db_table} en ON en.klass_id = %(klass)s AND en.teacher_id = %(teacher)s
"""  # noqa: S608


def take_checks(*, teacher_id: int, offering_id: int, klass_id: int, now: datetime, today: date) -> TakeChecks:
    """Read what the rules of a seat request look at (the portable path; PostgreSQL reads them in `take`)."""
    row = _execute(_CHECKS, {"teacher": teacher_id, "offering": offering_id, "klass": klass_id,
                             "now": connection.ops.adapt_datetimefield_value(now),
                             "today": connection.ops.adapt_datefield_value(today)})
    assert row is not None  # one row whatever is found
    return _take_checks(row)


def _take_checks(row: tuple[Any, ...]) -> TakeChecks:
    checks = TakeChecks(*row)
    return checks._replace(seat_queued_at=_moment(checks.seat_queued_at),
                           seat_promoted_at=_moment(checks.seat_promoted_at),
                           seat_cancelled_at=_moment(checks.seat_cancelled_at))


class TakeOutcome(NamedTuple):
    checks: TakeChecks
    seat_id: int | None  # None: nothing written (a refusal, or the seat is already active)
    seat_status: str | None
    enrolments_written: int


@cache
def _take_sql() -> tuple[str, _Defaults, _Defaults]:
    seat, enrolment, offering = Seat._meta.db_table, Enrolment._meta.db_table, Offering._meta.db_table
    seat_insert, seat_rest = _insert(Seat, {
        "created_at": "%(now)s", "updated_at": "%(now)s", "offering_id": "%(offering)s",
        "teacher_id": "%(teacher)s", "status": "d.outcome", "queued_at": "%(now)s"}, "s")
    enrolment_insert, enrolment_rest = _insert(Enrolment, {
        "created_at": "%(now)s", "updated_at": "%(now)s", "klass_id": "%(klass)s", "teacher_id": "%(teacher)s",
        "school_id": "%(school)s", "region_code": "%(region)s", "source": f"'{SELECTION}'", "seat_id": "w.id",
        "status": f"'{ENROLLED}'", "is_demo": "%(demo)s"}, "e")
    sql = f"""
WITH chk AS ({_CHECKS}),
go AS (
    SELECT * FROM chk
    WHERE NOT banned AND active < %(cap)s AND (seat_status IS NULL OR seat_status NOT IN ('{HELD}', '{WAITLISTED}'))
      AND enrolment_status IS DISTINCT FROM '{ENROLLED}'
),
inc AS (
    UPDATE {offering} SET taken = taken + 1
    WHERE id = %(offering)s AND status = '{Offering.Status.OPEN.value}' AND opens_at <= %(now)s
      AND closes_at > %(now)s AND taken < capacity AND EXISTS (SELECT 1 FROM go)
    RETURNING id
),
d AS (
    SELECT go.seat_id, go.enrolment_id,
           (CASE WHEN EXISTS (SELECT 1 FROM inc) THEN '{HELD}'
                 WHEN %(waitlist)s AND go.open_now THEN '{WAITLISTED}' END)::varchar AS outcome
    FROM go
),
new_seat AS (
    INSERT INTO {seat} {seat_insert} FROM d WHERE d.outcome IS NOT NULL AND d.seat_id IS NULL
    RETURNING id, status
),
old_seat AS (
    UPDATE {seat} AS s SET status = d.outcome, queued_at = %(now)s, promoted_at = NULL, cancelled_at = NULL,
                           updated_at = %(now)s
    FROM d
    WHERE s.id = d.seat_id AND d.outcome IS NOT NULL AND s.status IN ('{CANCELLED}', '{RELEASED}')
    RETURNING s.id, s.status
),
w AS (SELECT * FROM new_seat UNION ALL SELECT * FROM old_seat),
new_enrolment AS (
    INSERT INTO {enrolment} {enrolment_insert} FROM w, d WHERE w.status = '{HELD}' AND d.enrolment_id IS NULL
    RETURNING id
),
old_enrolment AS (
    UPDATE {enrolment} AS e SET status = '{ENROLLED}', seat_id = w.id, source = '{SELECTION}', school_id = %(school)s,
                                region_code = %(region)s, updated_at = %(now)s
    FROM w, d
    WHERE e.id = d.enrolment_id AND w.status = '{HELD}'
    RETURNING e.id
),
audit AS ({_audit_insert("delivery.seat_take", "w.id",
                         "jsonb_build_object('offering', %(offering)s, 'status', w.status)", "w")})
SELECT c.*, w.id, w.status, (SELECT COUNT(*) FROM new_enrolment) + (SELECT COUNT(*) FROM old_enrolment)
FROM chk c LEFT JOIN w ON TRUE
"""  # noqa: S608
    return _compact(sql), seat_rest, enrolment_rest


# --- take in one call (PostgreSQL) --------------------------------------------------------------------------------
TAKE_FUNCTION = "guopei_seat_take"
RETRY_SQLSTATE = "GP001"  # the count moved but no seat was written: the function raises it, so nothing stays

# The function's result row: the teacher's lock, whether the offering is within the teacher's region, the checks,
# then what was written and whether the count moved.
_TAKE_RESULT = """
    teacher_id bigint, school_id bigint, region_code text, offering_id bigint, klass_id bigint, offering_region text,
    offering_demo boolean, within_region boolean, banned boolean, active bigint, seat_id bigint, seat_status text,
    seat_queued_at timestamptz, seat_promoted_at timestamptz, seat_cancelled_at timestamptz, enrolment_id bigint,
    enrolment_status text, open_now boolean, new_seat_id bigint, new_seat_status text, enrolments bigint, moved bigint
"""
# The request's values, as the function's arguments (p_) or as what it read under the lock (v_).
_TAKE_NAMES = {
    "actor": "p_actor", "actor_name": "p_actor_name", "role": "p_role", "ip": "p_ip", "offering": "p_offering",
    "now": "p_now", "today": "p_today", "cap": "p_cap", "waitlist": "p_waitlist", "teacher": "v.teacher_id",
    "school": "v.school_id", "region": "v.region_code", "klass": "v.klass_id", "demo": "v.offering_demo",
}


def _literal(value: Any, field: models.Field) -> str:
    """A column default as SQL text, for the function's body (it cannot take the defaults as parameters)."""
    from psycopg import sql

    if field.has_default() and callable(field.default) and field.default not in (dict, list):
        raise LookupError(f"{field} has a default computed per row ({field.default!r}): the seat function cannot "
                          "write it; give it a constant default or write it in the function.")
    connection.ensure_connection()
    return sql.Literal(value).as_string(connection.connection)  # type: ignore[no-any-return]


@cache
def take_function_sql() -> str:
    """`CREATE FUNCTION guopei_seat_take(…)`: the whole seat request of `take` in one call, built from the models.

    The function locks the teacher's row (its own statement: the next one's snapshot sees the same person's other
    requests), stops when the offering is missing or outside the teacher's region, then runs the seat statement
    (`_take_sql`) and returns one row (`_TAKE_RESULT`). Sent in autocommit it is a single round trip and its own
    transaction: no BEGIN and COMMIT of their own. Installed after every `migrate` (`install_functions`), so it
    always matches the models' columns and defaults.
    """
    statement, seat_rest, enrolment_rest = _take_sql()
    fields = {name: field for rest in (seat_rest, enrolment_rest) for name, field in rest.fields.items()}
    defaults = {name: _literal(value, fields[name])
                for rest in (seat_rest, enrolment_rest) for name, value in rest.params().items()}
    body = re.sub(r"%\((\w+)\)s", lambda m: defaults.get(m.group(1)) or _TAKE_NAMES[m.group(1)], statement)
    body = body.replace(
        "SELECT c.*, w.id, w.status, (SELECT COUNT(*) FROM new_enrolment) + (SELECT COUNT(*) FROM old_enrolment)",
        "SELECT c.*, w.id, w.status::text AS status, (SELECT COUNT(*) FROM new_enrolment) + (SELECT COUNT(*) FROM "
        "old_enrolment) AS enrolments, (SELECT COUNT(*) FROM inc) AS moved")
    if " AS moved" not in body:  # pragma: no cover - guards the edit above against a change of `_take_sql`
        raise LookupError("the seat statement's last SELECT changed: update take_function_sql")
    teacher, offering = Teacher._meta.db_table, Offering._meta.db_table
    return f"""
CREATE OR REPLACE FUNCTION {TAKE_FUNCTION}(p_actor bigint, p_actor_name text, p_role text, p_ip text, p_offering bigint,
                                p_now timestamptz, p_today date, p_cap integer, p_waitlist boolean)
RETURNS TABLE ({_TAKE_RESULT}) LANGUAGE plpgsql VOLATILE AS $body$
#variable_conflict use_column
DECLARE
    v record;
    r record;
BEGIN
    SELECT t.id AS teacher_id, t.school_id, t.region_code::text, o.id AS offering_id, o.klass_id,
           o.region_code::text AS offering_region, o.is_demo AS offering_demo
      INTO v
      FROM {teacher} t LEFT JOIN {offering} o ON o.id = p_offering
     WHERE t.user_id = p_actor
       FOR UPDATE OF t;
    teacher_id := v.teacher_id; school_id := v.school_id; region_code := v.region_code;
    offering_id := v.offering_id; klass_id := v.klass_id; offering_region := v.offering_region;
    offering_demo := v.offering_demo;
    -- orgs.scoping.region_bounds: a province (..0000) holds its cities and counties, a city (..00) its counties
    within_region := v.region_code >= v.offering_region AND v.region_code <= CASE
        WHEN v.offering_region LIKE '%0000' THEN left(v.offering_region, 2) || '9999'
        WHEN v.offering_region LIKE '%00' THEN left(v.offering_region, 4) || '99'
        ELSE v.offering_region END;
    IF v.teacher_id IS NULL OR v.offering_id IS NULL OR NOT within_region THEN
        RETURN NEXT;
        RETURN;
    END IF;
    {body} INTO r;
    IF r.moved > 0 AND r.id IS NULL THEN
        RAISE EXCEPTION 'seat count moved but no seat was written' USING ERRCODE = '{RETRY_SQLSTATE}';
    END IF;
    banned := r.banned; active := r.active; seat_id := r.seat_id; seat_status := r.seat_status;
    seat_queued_at := r.queued_at; seat_promoted_at := r.promoted_at; seat_cancelled_at := r.cancelled_at;
    enrolment_id := r.enrolment_id; enrolment_status := r.enrolment_status; open_now := r.open_now;
    new_seat_id := r.id; new_seat_status := r.status; enrolments := r.enrolments; moved := r.moved;
    RETURN NEXT;
END
$body$
"""  # noqa: S608 (table and column names from the models, defaults quoted by the driver; values are arguments)


def install_functions(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the seat function on PostgreSQL; connected to `post_migrate`, so every `migrate` leaves the
    function that matches the models (a dropped or older one included).

    Replaced in place, so the web processes' prepared calls keep working during a deployment; only when its result
    columns changed (which `CREATE OR REPLACE` refuses) is the old one dropped first, in the same transaction."""
    from django.db import DatabaseError, connections, transaction

    if connections[using].vendor != "postgresql":
        return
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        try:
            with transaction.atomic(using=using):
                cursor.execute(take_function_sql())
        except DatabaseError:
            # IF EXISTS: when there was nothing to replace, the CREATE below fails again with its own error.
            cursor.execute(f"DROP FUNCTION IF EXISTS {TAKE_FUNCTION}")
            cursor.execute(take_function_sql())


class TakeRetry(Exception):
    """The seat statement moved the count without writing a seat (a cancelled seat changed meanwhile): the function
    raised, so nothing of the request stays; the teacher may try again."""


class TakeCall(NamedTuple):
    lock: TeacherLock | None  # None: the user has no teacher record
    within_region: bool
    outcome: TakeOutcome | None  # None: stopped after the lock (no such offering, or outside the region)


_TAKE_CALL = f"SELECT * FROM {TAKE_FUNCTION}(%s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 (a constant name)


def take_call(*, user_id: int, offering_id: int, now: datetime, today: date, cap: int, waitlist: bool,
              audit: Mapping[str, Any]) -> TakeCall:
    """A seat request in one call of the seat function (PostgreSQL). Nothing is written unless every rule passes:
    no ban, under the cap, no active seat here, not already in the class; then the count moves by the conditional
    UPDATE — a seat when one is left, else a waitlist place while the offering is open (and the waitlist is on). The
    caller sends it in autocommit, where the call is its own transaction, or inside its own transaction."""
    from django.db import DatabaseError

    try:
        row = _execute(_TAKE_CALL, [user_id, audit["actor_name"], audit["role"], audit["ip"], offering_id, now,
                                    today, cap, waitlist])
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == RETRY_SQLSTATE:
            raise TakeRetry from exc
        raise
    assert row is not None  # one row whatever is found
    lock = TeacherLock(*row[:7]) if row[0] is not None else None
    within_region, checks, written = bool(row[7]), row[8:18], row[18:]
    if lock is None or lock.offering_id is None or not within_region:
        return TakeCall(lock, within_region, None)
    seat_id, seat_status, enrolments, _moved = written
    return TakeCall(lock, within_region, TakeOutcome(_take_checks(tuple(checks)), seat_id, seat_status, enrolments))


# --- cancel -------------------------------------------------------------------------------------------------------
class SeatLock(NamedTuple):
    seat_id: int
    offering_id: int
    teacher_id: int
    status: str
    queued_at: datetime
    promoted_at: datetime | None
    user_id: int | None
    region_code: str
    offering_status: str
    klass_id: int
    offering_title: str
    offering_demo: bool
    klass_status: str


def cancel_lock(*, seat_id: int) -> SeatLock | None:
    """Lock a seat's row and read it as it is now (a concurrent promotion committed while waiting is seen), with
    its teacher, offering and class; None when there is no such seat."""
    sql = f"""
SELECT s.id, s.offering_id, s.teacher_id, s.status, s.queued_at, s.promoted_at, t.user_id, t.region_code,
       o.status, o.klass_id, o.title, o.is_demo, k.status
FROM {Seat._meta.db_table} s JOIN {Teacher._meta.db_table} t ON t.id = s.teacher_id
JOIN {Offering._meta.db_table} o ON o.id = s.offering_id JOIN {TrainingClass._meta.db_table} k ON k.id = o.klass_id
WHERE s.id = %s{_lock_clause("s")}
"""  # noqa: S608
    row = _execute(sql, [seat_id])
    if row is None:
        return None
    lock = SeatLock(*row)
    queued_at = _moment(lock.queued_at)
    assert queued_at is not None
    return lock._replace(queued_at=queued_at, promoted_at=_moment(lock.promoted_at))


class CancelOutcome(NamedTuple):
    cancelled: int
    promoted_seat_id: int | None
    promoted_user_id: int | None
    passed_over: int  # waitlisted teachers already in the class by another route: released
    freed: int  # 1 when the count went down (nobody to promote)


@cache
def _cancel_sql() -> tuple[str, _Defaults, _Defaults]:
    seat, enrolment, offering = Seat._meta.db_table, Enrolment._meta.db_table, Offering._meta.db_table
    enrolment_insert, enrolment_rest = _insert(Enrolment, {
        "created_at": "%(now)s", "updated_at": "%(now)s", "klass_id": "%(klass)s", "teacher_id": "c.teacher_id",
        "school_id": "c.school_id", "region_code": "c.region_code", "source": f"'{SELECTION}'", "seat_id": "c.id",
        "status": f"'{ENROLLED}'", "is_demo": "%(demo)s"}, "e")
    notice_insert, notice_rest = _insert(Notice, {
        "created_at": "%(now)s", "updated_at": "%(now)s", "recipient_id": "c.user_id", "text": "%(notice_text)s",
        "url": "%(notice_url)s"}, "n")
    sql = f"""
WITH gone AS (
    UPDATE {seat} SET status = '{CANCELLED}', cancelled_at = %(now)s, updated_at = %(now)s WHERE id = %(seat)s
    RETURNING id
),
unenrol AS (
    UPDATE {enrolment} SET status = '{Enrolment.Status.CANCELLED.value}', updated_at = %(now)s
    WHERE %(was_held)s AND seat_id = %(seat)s AND status = '{ENROLLED}'
    RETURNING id
),
c AS (
    SELECT q.id, q.teacher_id, q.queued_at, en.id AS enrolment_id, t.school_id, t.region_code, t.user_id
    FROM {seat} q JOIN {Teacher._meta.db_table} t ON t.id = q.teacher_id
    LEFT JOIN {enrolment} en ON en.klass_id = %(klass)s AND en.teacher_id = q.teacher_id
    WHERE %(promote)s AND q.offering_id = %(offering)s AND q.status = '{WAITLISTED}'
      AND en.status IS DISTINCT FROM '{ENROLLED}'
    ORDER BY q.queued_at, q.id
    LIMIT 1
    FOR UPDATE OF q SKIP LOCKED
),
passed AS (
    UPDATE {seat} SET status = '{RELEASED}', cancelled_at = %(now)s, updated_at = %(now)s
    WHERE id IN (
        SELECT p.id FROM {seat} p
        WHERE %(promote)s AND p.offering_id = %(offering)s AND p.status = '{WAITLISTED}'
          AND EXISTS (SELECT 1 FROM {enrolment} en WHERE en.klass_id = %(klass)s AND en.teacher_id = p.teacher_id
                      AND en.status = '{ENROLLED}')
          AND NOT EXISTS (SELECT 1 FROM c WHERE (c.queued_at, c.id) < (p.queued_at, p.id))
        FOR UPDATE OF p SKIP LOCKED
    )
    RETURNING id
),
promoted AS (
    UPDATE {seat} SET status = '{HELD}', promoted_at = %(now)s, updated_at = %(now)s
    FROM c WHERE {seat}.id = c.id
    RETURNING {seat}.id
),
new_enrolment AS (
    INSERT INTO {enrolment} {enrolment_insert} FROM c WHERE c.enrolment_id IS NULL
    RETURNING id
),
old_enrolment AS (
    UPDATE {enrolment} SET status = '{ENROLLED}', seat_id = c.id, source = '{SELECTION}', school_id = c.school_id,
                           region_code = c.region_code, updated_at = %(now)s
    FROM c WHERE {enrolment}.id = c.enrolment_id
    RETURNING {enrolment}.id
),
notice AS (
    INSERT INTO {Notice._meta.db_table} {notice_insert} FROM c WHERE c.user_id IS NOT NULL
    RETURNING id
),
freed AS (
    UPDATE {offering} SET taken = taken - 1
    WHERE id = %(offering)s AND %(was_held)s AND taken > 0 AND NOT EXISTS (SELECT 1 FROM c)
    RETURNING id
),
audit AS ({_audit_insert("delivery.seat_cancel", "%(seat)s", "jsonb_build_object('offering', %(offering)s, "
                         "'was_held', %(was_held)s, 'promoted_seat', (SELECT id FROM c))")})
SELECT (SELECT COUNT(*) FROM gone), (SELECT id FROM c), (SELECT user_id FROM c), (SELECT COUNT(*) FROM passed),
       (SELECT COUNT(*) FROM freed)
"""  # noqa: S608
    return _compact(sql), enrolment_rest, notice_rest


def cancel(*, lock: SeatLock, now: datetime, promote: bool, notice_text: str, notice_url: str,
           audit: Mapping[str, Any]) -> CancelOutcome:
    """Give a seat back in one statement (PostgreSQL), inside the transaction that holds `lock`.

    A held seat's enrolment is cancelled; with `promote`, the first waitlisted teacher not already in the class gets
    the seat (`FOR UPDATE SKIP LOCKED`: the row another cancellation is promoting right now is skipped, so two never
    promote the same person), is enrolled and told; those ahead of them passed over because they are in the class
    already are released. Only when nobody is promoted does the count go down.
    """
    sql, enrolment_rest, notice_rest = _cancel_sql()
    was_held = lock.status == HELD
    params = {
        "seat": lock.seat_id, "offering": lock.offering_id, "klass": lock.klass_id, "demo": bool(lock.offering_demo),
        "was_held": was_held, "promote": was_held and promote, "now": now, "region": lock.region_code,
        "notice_text": notice_text[:500], "notice_url": notice_url[:300], **audit,
        **enrolment_rest.params(), **notice_rest.params(),
    }
    row = _execute(sql, params)
    assert row is not None  # one row whatever is found
    return CancelOutcome(*row)


# --- audit ----------------------------------------------------------------------------------------------------------
def _audit_insert(action: str, object_id: str, detail: str, source: str = "") -> str:
    """An INSERT of the audit event with the fields `guopei.core.audit.audit_record` writes (the caller passes the
    actor's, `services._audit_values`), one per row of `source` (or exactly one)."""
    return f"""
    INSERT INTO {AuditEvent._meta.db_table} (at, actor_id, actor_name, role, action, object_type, object_id,
                                             region_code, detail, ip_address)
    SELECT %(now)s, %(actor)s, %(actor_name)s, %(role)s, '{action}', '{Seat._meta.label_lower}', ({object_id})::text,
           %(region)s, {detail}, %(ip)s::inet {f"FROM {source}" if source else ""}
    RETURNING id
"""
