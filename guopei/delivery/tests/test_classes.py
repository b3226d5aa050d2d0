"""Classes from awarded projects, sessions from the approved course plan, nominees enrolled, progress (COURSE-5)."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guopei.core.models import AuditEvent
from guopei.delivery import services
from guopei.delivery.models import Enrolment, Session, TrainingClass
from guopei.delivery.selectors import project_progress
from guopei.teachers.models import Nomination

from .factories import END, START, make_class, trainee

pytestmark = pytest.mark.django_db


def test_course5_class_created_from_contracted_award_with_course_plan(project, staff):
    klass = make_class(project, staff, sessions=False)
    assert klass.award.status == "contracted" and klass.course_plan.status == "approved"
    assert klass.region_code == "140000" and klass.head_teacher == staff
    assert AuditEvent.objects.filter(action="delivery.class_create", object_id=str(klass.pk)).exists()


def test_class_refused_without_award_of_own_institution(project, other_staff):
    with pytest.raises(PermissionDenied):
        services.class_create(actor=other_staff, project=project, institution_id=project.previous_institution_id,
                              data=services.ClassInput(name="x", start_date=START, end_date=END, venue="v",
                                                       capacity=10))
    other = other_staff.memberships.get().institution_id
    with pytest.raises(ValidationError, match="中标结果"):
        services.class_create(actor=other_staff, project=project, institution_id=other,
                              data=services.ClassInput(name="x", start_date=START, end_date=END, venue="v",
                                                       capacity=10))


def test_course5_sessions_generated_from_modules_with_theory_and_practice(klass):
    sessions = list(klass.sessions.order_by("order"))
    # The plan: one module of 40 theory + 40 practice hours → 20 sessions of 4 hours, two a day.
    assert len(sessions) == 20
    assert sum(s.hours for s in sessions) == 80
    assert {s.kind for s in sessions[:10]} == {Session.Kind.THEORY}
    assert {s.kind for s in sessions[10:]} == {Session.Kind.PRACTICE}
    assert sessions[0].date == START and sessions[0].start_time == time(8, 30) and sessions[0].end_time == time(12, 0)
    assert sessions[1].date == START and sessions[1].start_time == time(14, 30)
    assert sessions[-1].date == END
    assert sessions[0].component == "face_to_face" and sessions[0].title == "集中研修模块"


def test_sessions_refused_when_the_plan_does_not_fit_the_dates(project, staff):
    klass = make_class(project, staff, sessions=False, end=date(2020, 9, 5))
    with pytest.raises(ValidationError, match="超出了结班日期"):
        services.sessions_generate(actor=staff, klass=klass)


def test_sessions_not_regenerated_once_attendance_started(klass, staff, school):
    enrolment = Enrolment.objects.create(klass=klass, teacher=trainee(school), school=school, region_code="140105",
                                         source="nomination")
    session = klass.sessions.first()
    services.attendance_mark(actor=staff, session=session, marks={enrolment.pk: "present"})
    with pytest.raises(ValidationError, match="不能重新生成"):
        services.sessions_generate(actor=staff, klass=klass)


def test_confirmed_nominees_enrolled_up_to_capacity(project, staff, school, county_admin):
    klass = make_class(project, staff, capacity=2)
    teachers = [trainee(school) for _ in range(3)]
    for n, t in enumerate(teachers):
        Nomination.objects.create(project=project, teacher=t, county_id="140105", status="confirmed",
                                  proposed_by=county_admin, rank=n)
    Nomination.objects.create(project=project, teacher=trainee(school), county_id="140105", status="proposed",
                              proposed_by=county_admin)
    result = services.enrol_confirmed_nominees(actor=staff, klass=klass)
    assert result == {"enrolled": 2, "left_over": 1}
    assert set(klass.enrolments.values_list("teacher_id", flat=True)) == {teachers[0].pk, teachers[1].pk}
    # Running it again adds nobody beyond the capacity and nobody twice.
    assert services.enrol_confirmed_nominees(actor=staff, klass=klass)["enrolled"] == 0


def test_course5_progress_counts_sessions_held_and_hours_delivered(klass, staff, project):
    for session in klass.sessions.order_by("order")[:3]:
        services.register_close(actor=staff, session=session, now=session.ends_at)
    [row] = project_progress(TrainingClass.objects.filter(pk=klass.pk))
    assert (row.sessions_planned, row.sessions_held, row.hours_planned, row.hours_delivered) == (20, 3, 80, 12)
    assert row.percent == 15


def test_class_update_moves_dates_and_refuses_capacity_below_trainees(klass, staff, school):
    Enrolment.objects.create(klass=klass, teacher=trainee(school), school=school, region_code="140105",
                             source="nomination")
    data = services.ClassInput(name="新名称", start_date=START, end_date=date(2020, 9, 12), venue="新地点", capacity=1)
    klass = services.class_update(actor=staff, klass=klass, data=data)
    assert klass.end_date == date(2020, 9, 12) and klass.venue == "新地点"
    with pytest.raises(ValidationError):
        services.class_update(actor=staff, klass=klass, data=services.ClassInput(
            name="x", start_date=START, end_date=END, venue="v", capacity=0))
