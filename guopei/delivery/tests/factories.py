"""Build delivery's world through the real services: a published plan, a contracted award, an approved course
plan, a class with its sessions and trainees."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from guopei.delivery import services
from guopei.delivery.models import Offering, Session, TrainingClass
from guopei.orgs.models import Institution
from guopei.plans.tests.factories import make_plan, make_project, publish
from guopei.teachers.tests.factories import TeacherFactory
from guopei.tenders import services as tender_services
from guopei.tenders.checker import ModuleData
from guopei.tenders.models import TopicTag

START = date(2020, 9, 1)
END = date(2020, 9, 10)


def modules_for(project: Any) -> list[ModuleData]:
    """Modules covering every topic tag, hours matching each component, half theory half practice."""
    codes = list(TopicTag.objects.values_list("code", flat=True))
    modules = []
    for index, component in enumerate(project.components.all()):
        practice = component.hours // 2
        modules.append(ModuleData(
            title=f"{component.get_kind_display()}模块", component=component.kind,
            theory_hours=component.hours - practice, practice_hours=practice,
            methods=("lecture", "task_driven"), topics=tuple(codes) if index == 0 else (),
            expected_outputs="教学设计一份",
        ))
    return modules


def awarded_project(province_admin: Any, finance: Any, institution: Institution, staff: Any, *,
                    code: str = "C01", year: int = 2020, hours: int = 80, days: int = 10) -> Any:
    """A published plan's project continuing from 2019, awarded to `institution` with an approved course plan."""
    from guopei.plans.models import AnnualPlan

    plan = AnnualPlan.objects.filter(year=year).first()
    if plan is None:
        plan = make_plan(province_admin, year=year)
        make_project(plan, province_admin, code, continues_from_2019=True, previous_project_name="2019年乡村教师培训",
                     previous_institution=institution, hours=hours, days=days)
        publish(plan, province_admin, finance)
    project = plan.projects.get(code=code)
    award = tender_services.award_continuation(project=project, actor=province_admin, amount="300000.00")
    course_plan = award.course_plan
    tender_services.course_plan_save(plan=course_plan, actor=staff, modules=modules_for(project))
    tender_services.course_plan_submit(plan=course_plan, actor=staff)
    tender_services.course_plan_review(plan=course_plan, actor=province_admin, approve=True)
    return project


def make_class(project: Any, staff: Any, *, capacity: int = 40, start: date = START, end: date = END,
               sessions: bool = True, name: str = "乡村教师能力提升培训一班") -> TrainingClass:
    klass = services.class_create(
        actor=staff, project=project, institution_id=project.previous_institution_id,
        data=services.ClassInput(name=name, start_date=start, end_date=end, venue="山西师范大学东校区",
                                 capacity=capacity, head_teacher=staff),
    )
    if sessions:
        services.sessions_generate(actor=staff, klass=klass)
    return klass


def enrol(klass: TrainingClass, teacher: Any) -> Any:
    from guopei.delivery.models import Enrolment

    return Enrolment.objects.create(klass=klass, teacher=teacher, school_id=teacher.school_id,
                                    region_code=teacher.region_code, source=Enrolment.Source.NOMINATION)


def trainee(school: Any, user: Any = None, name: str | None = None) -> Any:
    kwargs: dict[str, Any] = {"school": school, "user": user}
    if name:
        kwargs["name"] = name
    return TeacherFactory(**kwargs)


def teachers_with_accounts(school: Any, n: int, prefix: str = "t") -> list[tuple[Any, Any]]:
    """`n` teachers of `school`, each with a teacher's account: [(user, teacher), …]."""
    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import make_user

    result = []
    for i in range(n):
        user = make_user(Membership.Role.TEACHER, school=school, username=f"{prefix}{i}")
        result.append((user, trainee(school, user)))
    return result


def open_offering(klass: TrainingClass, staff: Any, *, capacity: int = 8, region: str = "140000",
                  minutes: int = 60, min_enrolment: int = 1, title: str = "选学：乡村课堂教学") -> Offering:
    now = timezone.now()
    return services.offering_create(actor=staff, klass=klass, data=services.OfferingInput(
        title=title, capacity=capacity, opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(minutes=minutes), region_code=region, min_enrolment=min_enrolment))


def at(session: Session, minutes: int = 0) -> datetime:
    """A moment relative to the session's start."""
    return session.starts_at + timedelta(minutes=minutes)


def close_all(klass: TrainingClass, staff: Any) -> None:
    for session in klass.sessions.all():
        services.register_close(actor=staff, session=session, now=session.ends_at)


def attend_all(klass: TrainingClass, staff: Any, enrolments: list[Any], *, skip: int = 0) -> None:
    """Mark the enrolments present at every session but the last `skip` ones, then close every register."""
    sessions = list(klass.sessions.order_by("order"))
    for session in sessions[: len(sessions) - skip]:
        services.attendance_mark(actor=staff, session=session, marks={e.pk: "present" for e in enrolments})
    close_all(klass, staff)


def today_session(klass: TrainingClass, *, minutes_from_now: int = -5, hours: int = 2) -> Session:
    """Move the first session to start a few minutes from now (browser and check-in tests)."""
    now = timezone.localtime()
    start = (now + timedelta(minutes=minutes_from_now)).time().replace(second=0, microsecond=0)
    session = klass.sessions.order_by("order").first()
    session.date = now.date()
    session.start_time = start
    end = (datetime.combine(now.date(), start) + timedelta(hours=hours)).time()
    session.end_time = end if end > start else time(23, 59)
    session.save()
    return session


SCORE = Decimal("85")
