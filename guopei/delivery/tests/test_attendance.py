"""Check-in by QR code (window, rotation, idempotence), staff marking, closing the register, leave."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from guopei.delivery import services
from guopei.delivery.checkin import current_slot, slot_token, token_valid
from guopei.delivery.models import Attendance, LeaveRequest

from .factories import at, enrol, trainee

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(klass):
    return klass.sessions.order_by("order").first()


@pytest.fixture
def enrolment(klass, teacher):
    return enrol(klass, teacher)


def scan(user, session, when, *, slot=None, token=None):
    slot = current_slot(when) if slot is None else slot
    token = slot_token(session.pk, slot) if token is None else token
    return services.checkin(actor=user, session=session, slot=slot, token=token, now=when)


def test_trainee1_checkin_inside_window_is_present(session, enrolment, teacher_user):
    record = scan(teacher_user, session, at(session, 2))
    assert record.status == Attendance.Status.PRESENT and record.method == Attendance.Method.QR


def test_checkin_after_the_grace_is_late(session, enrolment, teacher_user, settings):
    record = scan(teacher_user, session, at(session, settings.DELIVERY_LATE_AFTER_MINUTES + 1))
    assert record.status == Attendance.Status.LATE


def test_same_scan_twice_counts_once(session, enrolment, teacher_user):
    first = scan(teacher_user, session, at(session, 1))
    second = scan(teacher_user, session, at(session, 3))
    assert first.pk == second.pk and Attendance.objects.filter(session=session).count() == 1
    assert second.status == Attendance.Status.PRESENT


def test_qr_rotates_previous_code_accepted_older_refused(session, enrolment, teacher_user, settings):
    now = at(session, 5)
    slot = current_slot(now)
    # The code shown one period ago still works (someone scanned just before it changed)…
    assert scan(teacher_user, session, now, slot=slot - 1).status == "present"
    # …two periods ago does not.
    assert not token_valid(session.pk, slot - 2, slot_token(session.pk, slot - 2), slot)
    with pytest.raises(ValidationError, match="过期"):
        scan(teacher_user, session, now + timedelta(seconds=2 * settings.DELIVERY_QR_ROTATION_SECONDS), slot=slot)


def test_yesterdays_screenshot_is_refused(session, enrolment, teacher_user):
    yesterday = at(session, 5) - timedelta(days=1)
    old_slot = current_slot(yesterday)
    with pytest.raises(ValidationError, match="过期"):
        scan(teacher_user, session, at(session, 5), slot=old_slot, token=slot_token(session.pk, old_slot))


def test_foreign_token_is_refused(klass, session, enrolment, teacher_user):
    other = klass.sessions.order_by("order")[1]
    now = at(session, 5)
    with pytest.raises(ValidationError, match="无效"):
        scan(teacher_user, session, now, token=slot_token(other.pk, current_slot(now)))
    with pytest.raises(ValidationError, match="无效"):
        scan(teacher_user, session, now, token="0" * 24)


def test_checkin_outside_the_session_window_is_refused(session, enrolment, teacher_user, settings):
    with pytest.raises(ValidationError, match="签到时间"):
        scan(teacher_user, session, at(session, -settings.DELIVERY_CHECKIN_OPENS_MINUTES - 1))
    with pytest.raises(ValidationError, match="签到时间"):
        scan(teacher_user, session, session.ends_at + timedelta(minutes=1))
    assert scan(teacher_user, session, at(session, -settings.DELIVERY_CHECKIN_OPENS_MINUTES)).status == "present"


def test_checkin_by_someone_not_enrolled_is_refused(session, school):
    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import make_user

    outsider = make_user(Membership.Role.TEACHER, school=school, username="outsider")
    trainee(school, outsider)
    with pytest.raises(ValidationError, match="在班学员"):
        scan(outsider, session, at(session, 1))


def test_attendance_for_someone_not_enrolled_is_refused(klass, session, staff, enrolment, school):
    stranger = trainee(school)
    from guopei.delivery.models import Enrolment

    cancelled = Enrolment.objects.create(klass=klass, teacher=stranger, school=school, region_code="140105",
                                         source="selection", status="cancelled")
    with pytest.raises(ValidationError, match="在班学员"):
        services.attendance_mark(actor=staff, session=session, marks={cancelled.pk: "present"})
    with pytest.raises(ValidationError, match="在班学员"):
        services.attendance_mark(actor=staff, session=session, marks={999999: "present"})


def test_close_register_marks_absent_and_excused_and_refuses_later_scans(klass, session, staff, enrolment,
                                                                          teacher_user, school):
    on_leave = enrol(klass, trainee(school))
    scanned = enrol(klass, trainee(school))
    LeaveRequest.objects.create(enrolment=on_leave, from_date=session.date, to_date=session.date, reason="病假",
                                status="approved")
    services.attendance_mark(actor=staff, session=session, marks={scanned.pk: "late"})
    with pytest.raises(ValidationError, match="尚未开始"):
        services.register_close(actor=staff, session=session, now=at(session, -1))
    counts = services.register_close(actor=staff, session=session, now=session.ends_at)
    assert counts == {"absent": 1, "excused": 1, "late": 1}
    assert Attendance.objects.get(session=session, enrolment=enrolment).status == "absent"
    session.refresh_from_db()
    with pytest.raises(ValidationError, match="已关闭"):
        scan(teacher_user, session, at(session, 5))
    with pytest.raises(ValidationError, match="已关闭"):
        services.attendance_mark(actor=staff, session=session, marks={enrolment.pk: "present"})


def test_leave_request_approved_excuses_the_days_sessions(klass, staff, enrolment, teacher_user):
    leave = services.leave_request_file(actor=teacher_user, enrolment=enrolment, from_date=klass.start_date,
                                        to_date=klass.start_date, reason="孩子生病")
    services.leave_request_decide(actor=staff, leave=leave, approve=True, note="同意")
    day = list(Attendance.objects.filter(enrolment=enrolment).values_list("status", flat=True))
    assert day == ["excused", "excused"]
    with pytest.raises(ValidationError, match="已审批"):
        services.leave_request_decide(actor=staff, leave=leave, approve=False)


def test_leave_outside_class_dates_refused(klass, enrolment, teacher_user):
    with pytest.raises(ValidationError, match="班次日期"):
        services.leave_request_file(actor=teacher_user, enrolment=enrolment, from_date=klass.end_date,
                                    to_date=klass.end_date + timedelta(days=1), reason="事假")
