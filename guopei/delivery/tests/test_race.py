"""MGMT-3 under a rush: many teachers press "选这个" at the same moment (threads, real transactions).

Runs on the configured database: SQLite by default, PostgreSQL with DATABASE_URL (see docs/adr/0004-seat-booking.md).
Deployed SQLite is a file in WAL mode whose writers queue on the lock (busy timeout); the test database is an
in-memory one whose shared cache refuses a locked table at once instead of waiting, so for SQLite the threads run
on a file copy of the test database (with the deployed connection options) and the result is copied back.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from guopei.delivery import services
from guopei.delivery.models import Enrolment, Offering, Seat
from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import make_user

from .factories import make_class, open_offering, trainee

Role = Membership.Role
THREADS = 48


@contextmanager
def _threads_database():
    """On in-memory SQLite, let the threads use a file copy of the test database; copy it back afterwards."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    settings_dict = connections.settings["default"]
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "race.sqlite3")
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        target.close()
        original = settings_dict["NAME"]
        settings_dict["NAME"] = path
        try:
            yield
        finally:
            settings_dict["NAME"] = original
            source = sqlite3.connect(path)
            source.backup(connection.connection)
            source.close()


def _run_all(work, items):
    """Start one thread per item, release them together, wait; return (results, errors)."""
    barrier = threading.Barrier(len(items))
    results, errors = [], []
    lock = threading.Lock()

    def run(item):
        try:
            barrier.wait(timeout=30)
            outcome = work(item)
            with lock:
                results.append(outcome)
        except Exception as exc:
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    with _threads_database():
        threads = [threading.Thread(target=run, args=(item,)) for item in items]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_mgmt3_race_48_threads_take_exactly_the_capacity(project, staff, school):
    klass = make_class(project, staff, sessions=False)
    offering = open_offering(klass, staff, capacity=8)
    users = [make_user(Role.TEACHER, school=school, username=f"rush{i}") for i in range(THREADS)]
    for user in users:
        trainee(school, user)

    results, errors = _run_all(lambda user: services.seat_take(actor=user, offering=offering).status, users)

    assert errors == [], f"{connection.vendor}: {errors[:3]}"
    offering.refresh_from_db()
    assert offering.taken == 8
    assert results.count("held") == 8 and results.count("waitlisted") == THREADS - 8
    assert Seat.objects.filter(offering=offering, status="held").count() == 8
    assert Enrolment.objects.filter(klass=klass, status="enrolled").count() == 8


@pytest.mark.django_db(transaction=True)
def test_mgmt3_race_double_clicks_and_cancels_keep_the_count_exact(project, staff, school):
    """Each of 24 teachers presses twice at once (48 threads); then the holders cancel while the waitlist is
    promoted: the count always equals the held seats, never above the capacity."""
    klass = make_class(project, staff, sessions=False)
    offering = open_offering(klass, staff, capacity=10)
    users = [make_user(Role.TEACHER, school=school, username=f"dbl{i}") for i in range(THREADS // 2)]
    for user in users:
        trainee(school, user)

    _, errors = _run_all(lambda user: services.seat_take(actor=user, offering=offering).pk, users + users)
    assert errors == [], errors[:3]
    assert Seat.objects.filter(offering=offering).count() == len(users)
    offering.refresh_from_db()
    assert offering.taken == 10

    holders = list(Seat.objects.filter(offering=offering, status="held").select_related("teacher__user"))
    _, errors = _run_all(lambda seat: services.seat_cancel(actor=seat.teacher.user, seat=seat).status, holders)
    assert errors == [], errors[:3]
    offering = Offering.objects.get(pk=offering.pk)
    held = Seat.objects.filter(offering=offering, status="held").count()
    assert offering.taken == held == 10
    assert Seat.objects.filter(offering=offering, status="waitlisted").count() == len(users) - 20
    assert Enrolment.objects.filter(klass=klass, status="enrolled").count() == 10


@pytest.mark.django_db(transaction=True)
def test_mgmt3_race_one_teacher_in_many_tabs_never_passes_the_cap(project, staff, school, settings):
    """One teacher presses "选这个" on six offerings at once, each twice (12 threads): the cap on offerings held
    or waited for at once still holds, and every counter equals its held seats."""
    settings.DELIVERY_OFFERING_CAP = 2
    offerings = [open_offering(make_class(project, staff, sessions=False, name=f"多开班{i}"), staff, capacity=5)
                 for i in range(6)]
    user = make_user(Role.TEACHER, school=school, username="many_tabs")
    trainee(school, user)

    def take(offering):
        try:
            return services.seat_take(actor=user, offering=offering).status
        except ValidationError as exc:
            return exc.messages[0]

    results, errors = _run_all(take, offerings + offerings)

    assert errors == [], f"{connection.vendor}: {errors[:3]}"
    assert Seat.objects.filter(teacher__user=user, status__in=Seat.ACTIVE).count() == 2
    assert results.count("held") >= 2 and results.count(services.ERR_OFFERING_CAP.format(cap=2)) >= 8
    for offering in Offering.objects.filter(pk__in=[o.pk for o in offerings]):
        assert offering.taken == Seat.objects.filter(offering=offering, status="held").count()
    assert Enrolment.objects.filter(teacher__user=user, status="enrolled").count() == 2
