"""Delivery's part of the demo world (示例): classes of 山西师范大学's awarded projects, run by `jigou_staff`.

* 一班 (September 2020, ended): trainees from 小店区 and 平城区 (the `jiaoshi` teacher self-selected it), QR
  check-ins and staff-marked registers, an approved leave, a no-show (in the integrity file, the school's special
  circumstances waiting for 小店区), a dismissal with evidence, passes with certificates, one failure, the
  sending units' notices and reports, results-application assessments, and an incident that was handled;
* 二班 (running now): sessions today for the QR code on the room's screen, yesterday's registers closed, a severe
  incident still being handled (flagged on the province's home page);
* 三班 (starting in two weeks): a self-selection offering open now that `jiaoshi` can join, with a waitlist.

The 2020 demo nominations are for a project still out to tender, so the trainees of these classes are enrolled
here directly (as confirmed nominees of the awarded projects would be). Everything is found again by class name,
so running the demo twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from guopei.orgs.models import User
from guopei.plans.models import Project
from guopei.teachers.models import Teacher

from . import services
from .checkin import current_slot, slot_token
from .models import Enrolment, Incident, Offering, TrainingClass

LABEL = "（示例）"
FIRST_START = date(2020, 9, 14)


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _end_for(project: Project, start: date) -> date:
    """The last day the course plan's sessions need (two a day from `start`)."""
    from django.conf import settings

    from guopei.tenders.selectors import approved_course_plan, approved_modules

    plan = approved_course_plan(project)
    if plan is None:
        return start
    rows = services.plan_sessions(list(approved_modules(plan)), start, settings.DELIVERY_SESSION_MAX_HOURS)
    return rows[-1]["date"] if rows else start


def _class(staff: Any, project: Project, name: str, start: date, capacity: int, venue: str) -> TrainingClass:
    klass = TrainingClass.objects.filter(project=project, name=name).first()
    if klass is None:
        klass = services.class_create(
            actor=staff, project=project, institution_id=staff.memberships.get(role="institution_staff").institution_id,
            data=services.ClassInput(name=name, start_date=start, end_date=_end_for(project, start), venue=venue,
                                     capacity=capacity, form=project.training_form, head_teacher=staff),
            is_demo=True)
        services.sessions_generate(actor=staff, klass=klass)
    return klass


def _enrol(klass: TrainingClass, teachers: list[Teacher]) -> list[Enrolment]:
    rows = []
    for teacher in teachers:
        enrolment, _ = Enrolment.objects.get_or_create(
            klass=klass, teacher=teacher,
            defaults={"school_id": teacher.school_id, "region_code": teacher.region_code,
                      "source": Enrolment.Source.NOMINATION, "is_demo": True})
        rows.append(enrolment)
    return rows


def _evidence(text: str) -> SimpleUploadedFile:
    from weasyprint import HTML

    pdf = HTML(string=f"<p style='font-family: \"Noto Sans CJK SC\"'>{text}</p>").write_pdf()
    return SimpleUploadedFile("证明材料.pdf", pdf, content_type="application/pdf")


def _demo_teachers(county: str, count: int, exclude: set[int], segment: str = "primary",
                   first_school: int | None = None) -> list[Teacher]:
    """Demo teachers without an account of one county and segment (those of `first_school` first)."""
    qs = Teacher.objects.filter(is_demo=True, region_code=county, status="active", user__isnull=True,
                                segment=segment).exclude(pk__in=exclude)
    mine = list(qs.filter(school_id=first_school).order_by("pk")[:3]) if first_school else []
    return (mine + list(qs.exclude(pk__in=[t.pk for t in mine]).order_by("pk")[: count - len(mine)]))[:count]


def _finished_class(staff: Any, project: Project, jiaoshi: Teacher | None, users: dict[str, User]) -> TrainingClass:
    """一班: run from self-selection to certificates in September 2020."""
    name = f"{project.name}一班{LABEL}"
    klass = _class(staff, project, name, FIRST_START, 40, "山西师范大学东校区 教师教育楼301")
    if klass.status == TrainingClass.Status.ENDED:
        return klass
    # Self-selection: the offering was open in late August; 梁雅婷 chose it on her phone.
    offering = Offering.objects.filter(klass=klass).first()
    if offering is None:
        offering = services.offering_create(actor=staff, klass=klass, is_demo=True, data=services.OfferingInput(
            title=f"{project.name}（9月14日开班）", capacity=10, region_code="140000",
            opens_at=_aware(date(2020, 8, 24), time(9)), closes_at=_aware(date(2020, 8, 31), time(18)),
            description="乡村小学语文骨干教师，集中研修、跟岗实践与工作坊研修相结合。"))
    if jiaoshi is not None and jiaoshi.user is not None:
        services.seat_take(actor=jiaoshi.user, offering=offering, now=_aware(date(2020, 8, 24), time(9, 3)))
    if offering.status == Offering.Status.OPEN:
        services.offering_close(actor=staff, offering=offering, now=_aware(date(2020, 8, 31), time(18)))
    taken = {e.teacher_id for e in klass.enrolments.all()}
    school_admin = users.get("school_admin")
    demo_school = next((m.school_id for m in school_admin.memberships.all() if m.school_id), None) \
        if school_admin is not None else None
    local = _demo_teachers("140105", 9, taken, first_school=demo_school)
    remote = _demo_teachers("140213", 4, taken | {t.pk for t in local})
    trainees = _enrol(klass, local + remote)
    everyone = list(klass.enrolments.filter(status=Enrolment.Status.ENROLLED).select_related("teacher"))
    no_show, dismissed, weak, on_leave = trainees[0], trainees[1], trainees[2], trainees[3]
    sessions = list(klass.sessions.order_by("order"))
    # A day's leave, approved: the two sessions of the third day become excused.
    leave = services.leave_request_file(actor=on_leave.teacher.user, enrolment=on_leave,
                                        from_date=sessions[4].date, to_date=sessions[4].date,
                                        reason="孩子住院，需陪护一天（示例）") if on_leave.teacher.user else None
    if leave is None:
        from .models import LeaveRequest

        leave = LeaveRequest.objects.create(enrolment=on_leave, from_date=sessions[4].date,
                                            to_date=sessions[4].date, reason="孩子住院，需陪护一天（示例）")
    services.leave_request_decide(actor=staff, leave=leave, approve=True, note="同意，请自学当日内容（示例）")
    services.enrolment_mark_no_show(actor=staff, enrolment=no_show)
    for index, session in enumerate(sessions):
        if index == 4:
            services.enrolment_dismiss(actor=staff, enrolment=dismissed, dismissed_on=session.date,
                                       reason="经核实冒名顶替他人参训，不符合本项目参训条件（示例）",
                                       evidence=_evidence("关于劝退学员的情况说明（示例）"))
        present = [e for e in everyone if e.pk not in {no_show.pk, dismissed.pk}
                   and not (e.pk == weak.pk and index % 3 == 0)]
        if index < 4:
            present.append(dismissed)
        # 梁雅婷 scans the room's QR code; the others are registered by the head teacher.
        for enrolment in present:
            if enrolment.teacher.user_id and enrolment.teacher == jiaoshi:
                moment = session.starts_at + timedelta(minutes=3 if index % 5 else 14)
                services.checkin(actor=enrolment.teacher.user, session=session, slot=current_slot(moment),
                                 token=slot_token(session.pk, current_slot(moment)), now=moment)
        marks = {e.pk: ("late" if (e.pk + index) % 11 == 0 else "present") for e in present
                 if not (e.teacher == jiaoshi and e.teacher.user_id)}
        marks = {pk: status for pk, status in marks.items()
                 if not (session.date == leave.from_date and pk == on_leave.pk)}
        if marks:
            services.attendance_mark(actor=staff, session=session, marks=marks)
        services.register_close(actor=staff, session=session, now=session.ends_at)
    services.incident_report(actor=staff, klass=klass, is_demo=True, data=services.IncidentInput(
        occurred_at=_aware(sessions[6].date, time(12, 40)), place="东校区学生食堂", people="学员1名、食堂工作人员1名",
        severity="minor", description="学员午餐后出现轻微过敏症状（示例）",
        actions="校医现场处置，送校医院观察，当日下午返回课堂",
        follow_up="已提醒食堂公示菜品过敏原", enrolment_ids=(trainees[5].pk,)))
    incident = Incident.objects.filter(klass=klass).first()
    if incident is not None:
        services.incident_follow_up(actor=staff, incident=incident, follow_up="学员已康复，食堂已公示过敏原（示例）",
                                    close=True)
    services.class_finish(actor=staff, klass=klass, now=_aware(klass.end_date, time(18)))
    assessed = klass.end_date + timedelta(days=1)
    for enrolment in klass.enrolments.filter(status=Enrolment.Status.ENROLLED).select_related("teacher"):
        score = Decimal("52") if enrolment.pk == weak.pk else Decimal(78 + (enrolment.pk * 7) % 19)
        services.completion_assess(actor=staff, enrolment=enrolment, score=score, assessed_on=assessed)
    # The school of the no-show explains afterwards: 小店区 has still to decide.
    if school_admin is not None and no_show.school_id == demo_school:
        services.circumstance_file(actor=school_admin, enrolment=no_show, kind="duty",
                                   description="该教师开班当周承担学校迎接义务教育均衡发展督导检查任务，经学校批准未能报到（示例）")
    # Some weeks later the demo school assesses how its passed trainees applied what they learnt.
    if school_admin is not None and demo_school is not None:
        for enrolment in klass.enrolments.filter(result=Enrolment.Result.PASSED, school_id=demo_school):
            services.application_assess(actor=school_admin, enrolment=enrolment, rating="good",
                                        comment="返岗后开展了整本书阅读教学公开课，教研组评价良好（示例）")
    return klass


def _running_class(staff: Any, project: Project) -> TrainingClass:
    """二班: started yesterday, two sessions today for the QR check-in, a severe incident being handled."""
    name = f"{project.name}二班{LABEL}"
    today = timezone.localdate()
    klass = _class(staff, project, name, today - timedelta(days=1), 30, "山西师范大学东校区 教师教育楼205")
    if klass.enrolments.exists():
        return klass
    trainees = _enrol(klass, _demo_teachers("140105", 6, set(), segment="junior")
                      + _demo_teachers("140213", 3, set(), segment="junior"))
    for index, enrolment in enumerate(trainees):
        enrolment.insurance_bought = index % 3 != 0
        enrolment.save(update_fields=["insurance_bought", "updated_at"])
    for session in klass.sessions.filter(date__lt=today).order_by("order"):
        services.attendance_mark(actor=staff, session=session, marks={
            e.pk: ("absent" if i == 2 else "present") for i, e in enumerate(trainees)})
        services.register_close(actor=staff, session=session, now=session.ends_at)
    services.incident_report(actor=staff, klass=klass, is_demo=True, data=services.IncidentInput(
        occurred_at=_aware(today - timedelta(days=1), time(17, 50)), place="东校区实训楼楼梯",
        people="学员1名", severity="severe", description="学员下课下楼时踏空摔倒，右踝关节疑似骨折（示例）",
        actions="班主任陪同送山西省人民医院急诊，已通知家属和选派学校", enrolment_ids=(trainees[1].pk,)))
    return klass


def _upcoming_class(staff: Any, project: Project) -> TrainingClass:
    """三班: starts in two weeks; its self-selection offering is open now (梁雅婷 can join from her phone)."""
    name = f"{project.name}三班{LABEL}"
    start = timezone.localdate() + timedelta(days=14)
    klass = _class(staff, project, name, start, 40, "山西师范大学东校区 教师教育楼302")
    if not Offering.objects.filter(klass=klass).exists():
        now = timezone.now()
        services.offering_create(actor=staff, klass=klass, is_demo=True, data=services.OfferingInput(
            title=f"{project.name}（{start:%m月%d日}开班）", capacity=30, region_code="140000", min_enrolment=10,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
            description="面向全省乡村小学语文教师，名额先到先得，满员后可候补。"))
    return klass


def build(stdout: Any) -> None:
    """Create whatever of delivery's demo world is missing; print one line saying what there is."""
    from guopei.tenders.selectors import approved_course_plan

    users = {u.username: u for u in User.objects.filter(username__in=["jigou_staff", "jiaoshi", "school_admin"])}
    staff = users.get("jigou_staff")
    institution_id = next((m.institution_id for m in staff.memberships.filter(role="institution_staff")), None) \
        if staff is not None else None
    projects = {p.code: p for p in Project.objects.filter(plan__year=2020, is_demo=True,
                                                           code__in=["GP2020-01", "GP2020-02"])}
    if staff is None or institution_id is None or len(projects) < 2 or any(
            approved_course_plan(p) is None or services.live_award_for(p, institution_id) is None
            for p in projects.values()):
        stdout.write("培训实施示例：未找到示例机构账号或其已签约、课程方案已通过的2020年示例项目，未生成培训实施示例数据。")
        return
    jiaoshi = Teacher.objects.filter(user__username="jiaoshi").select_related("user").first()
    finished = _finished_class(staff, projects["GP2020-01"], jiaoshi, users)
    _running_class(staff, projects["GP2020-02"])
    _upcoming_class(staff, projects["GP2020-01"])
    demo_classes = TrainingClass.objects.filter(is_demo=True)
    trainees = Enrolment.objects.filter(klass__in=demo_classes).count()
    stdout.write(
        f"培训实施示例：班次 {demo_classes.count()} 个，学员 {trainees} 人次，"
        f"结业 {finished.enrolments.filter(result='passed').count()} 人，"
        f"开放选学 {Offering.objects.filter(is_demo=True, status='open', closes_at__gt=timezone.now()).count()} 个，"
        f"安全事件 {Incident.objects.filter(is_demo=True).count()} 起。"
    )
