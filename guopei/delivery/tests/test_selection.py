"""Self-selection (MGMT-3): seats, the waitlist and its promotion, the cap per teacher, the two rounds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guopei.delivery import services
from guopei.delivery.models import Enrolment, Notice, Offering, Seat
from guopei.teachers.models import IntegrityEntry, ban_end

from .factories import make_class, open_offering, teachers_with_accounts

pytestmark = pytest.mark.django_db


def test_mgmt3_seat_taken_enrols_teacher(klass, staff, teacher, teacher_user):
    offering = open_offering(klass, staff)
    seat = services.seat_take(actor=teacher_user, offering=offering)
    offering.refresh_from_db()
    assert seat.status == Seat.Status.HELD and offering.taken == 1
    enrolment = Enrolment.objects.get(seat=seat)
    assert enrolment.klass == klass and enrolment.source == "selection" and enrolment.region_code == "140105"


def test_mgmt3_choosing_twice_keeps_one_seat(klass, staff, teacher, teacher_user):
    offering = open_offering(klass, staff)
    first = services.seat_take(actor=teacher_user, offering=offering)
    second = services.seat_take(actor=teacher_user, offering=offering)
    offering.refresh_from_db()
    assert first.pk == second.pk and offering.taken == 1 and Seat.objects.count() == 1


def test_mgmt3_full_offering_puts_the_ninth_on_the_waitlist_never_a_ninth_seat(klass, staff, school):
    offering = open_offering(klass, staff, capacity=8)
    people = teachers_with_accounts(school, 9)
    seats = [services.seat_take(actor=user, offering=offering) for user, _ in people]
    offering.refresh_from_db()
    assert offering.taken == 8
    assert [s.status for s in seats].count("held") == 8 and seats[-1].status == Seat.Status.WAITLISTED
    assert klass.enrolments.filter(status="enrolled").count() == 8


def test_mgmt3_cancel_promotes_first_waitlisted_in_the_same_transaction(klass, staff, school):
    offering = open_offering(klass, staff, capacity=1)
    (u1, t1), (u2, t2), (u3, t3) = teachers_with_accounts(school, 3)
    held = services.seat_take(actor=u1, offering=offering)
    first_wait = services.seat_take(actor=u2, offering=offering)
    services.seat_take(actor=u3, offering=offering)
    services.seat_cancel(actor=u1, seat=held)
    first_wait.refresh_from_db()
    offering.refresh_from_db()
    assert first_wait.status == Seat.Status.HELD and first_wait.promoted_at is not None
    assert offering.taken == 1
    assert Enrolment.objects.get(teacher=t1, klass=klass).status == "cancelled"
    assert Enrolment.objects.get(teacher=t2, klass=klass).status == "enrolled"
    assert not Enrolment.objects.filter(teacher=t3, klass=klass).exists()
    assert Notice.objects.filter(recipient=u2, text__contains="自动递补").exists()


def test_mgmt3_cancel_without_waitlist_frees_the_seat(klass, staff, teacher, teacher_user):
    offering = open_offering(klass, staff)
    seat = services.seat_take(actor=teacher_user, offering=offering)
    services.seat_cancel(actor=teacher_user, seat=seat)
    offering.refresh_from_db()
    assert offering.taken == 0
    # The same teacher may choose it again: the same row comes back.
    again = services.seat_take(actor=teacher_user, offering=offering)
    assert again.pk == seat.pk and again.status == "held"
    offering.refresh_from_db()
    assert offering.taken == 1


def test_mgmt3_cap_on_offerings_held_at_once(project, staff, school, teacher, teacher_user, settings):
    settings.DELIVERY_OFFERING_CAP = 2
    offerings = [open_offering(make_class(project, staff, sessions=False, name=f"班{i}"), staff) for i in range(3)]
    services.seat_take(actor=teacher_user, offering=offerings[0])
    services.seat_take(actor=teacher_user, offering=offerings[1])
    with pytest.raises(ValidationError, match="最多只能选2个"):
        services.seat_take(actor=teacher_user, offering=offerings[2])


def test_mgmt3_offering_outside_window_or_region_refused(klass, staff, teacher, teacher_user):
    offering = open_offering(klass, staff)
    with pytest.raises(ValidationError, match="开放时间"):
        services.seat_take(actor=teacher_user, offering=offering, now=offering.closes_at)
    elsewhere = open_offering(klass, staff, region="140213", title="平城区专场")
    with pytest.raises(services.NotOffered):
        services.seat_take(actor=teacher_user, offering=elsewhere)


def test_mgmt6_banned_teacher_cannot_self_select(klass, staff, teacher, teacher_user):
    today = timezone.localdate()
    IntegrityEntry.objects.create(teacher=teacher, kind="dismissed", event_date=today, ban_until=ban_end(today),
                                  source="测试")
    with pytest.raises(ValidationError, match="禁训期"):
        services.seat_take(actor=teacher_user, offering=open_offering(klass, staff))


def test_mgmt3_two_rounds_close_full_cancel_undersubscribed_then_fill(project, staff, school):
    full_class, thin_class, open_class = (make_class(project, staff, sessions=False, name=n)
                                          for n in ("满员班", "人少班", "未满班"))
    full = open_offering(full_class, staff, capacity=2, title="满员")
    thin = open_offering(thin_class, staff, capacity=5, min_enrolment=3, title="人少")
    half = open_offering(open_class, staff, capacity=4, min_enrolment=2, title="未满")
    people = teachers_with_accounts(school, 8)
    for user, _ in people[:2]:
        services.seat_take(actor=user, offering=full)
    waiting = services.seat_take(actor=people[2][0], offering=full)
    assert waiting.status == "waitlisted"
    thin_seat = services.seat_take(actor=people[3][0], offering=thin)
    for user, _ in people[4:6]:
        services.seat_take(actor=user, offering=half)

    with pytest.raises(ValidationError, match="尚未截止"):
        services.selection_round_finish(actor=staff, offerings=[full, thin, half])
    after = full.closes_at + timedelta(seconds=1)
    result = services.selection_round_finish(actor=staff, offerings=[full, thin, half], now=after)
    assert result == {"closed": 1, "cancelled": 1, "kept": 1}
    full.refresh_from_db(), thin.refresh_from_db(), thin_seat.refresh_from_db(), waiting.refresh_from_db()
    assert full.status == Offering.Status.CLOSED and thin.status == Offering.Status.CANCELLED and thin.taken == 0
    assert thin_seat.status == "released" and waiting.status == "released"
    assert Enrolment.objects.get(seat=thin_seat).status == "cancelled"
    assert Notice.objects.filter(recipient=people[3][0], text__contains="取消开班").exists()
    assert Notice.objects.filter(recipient=people[2][0], text__contains="已截止").exists()

    # Round 2 fills the remaining seats of the kept offering; the released teachers choose again.
    now = timezone.now()
    services.selection_round_two_open(actor=staff, offerings=[half], opens_at=now - timedelta(minutes=1),
                                      closes_at=now + timedelta(hours=1))
    for user, _ in (people[2], people[3]):
        assert services.seat_take(actor=user, offering=half).status == "held"
    half.refresh_from_db()
    assert half.round == 2 and half.taken == 4
    assert services.seat_take(actor=people[6][0], offering=half).status == "waitlisted"
    with pytest.raises(ValidationError, match="开放时间"):
        services.seat_take(actor=people[7][0], offering=full)


def test_waitlist_off_refuses_when_full(klass, staff, school, settings):
    settings.DELIVERY_WAITLIST = False
    offering = open_offering(klass, staff, capacity=1)
    (u1, _), (u2, _) = teachers_with_accounts(school, 2)
    services.seat_take(actor=u1, offering=offering)
    with pytest.raises(ValidationError, match="名额已满"):
        services.seat_take(actor=u2, offering=offering)


def test_database_refuses_taken_above_capacity(klass, staff):
    from django.db import IntegrityError, transaction

    offering = open_offering(klass, staff, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offering.objects.filter(pk=offering.pk).update(taken=2)
