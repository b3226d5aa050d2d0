"""Every write of delivery: keyword-only, one transaction each, audited (MGMT-3/5/6, TRAINEE-1/2, COURSE-5).

Who may do what:
* the institution's staff (承训机构) create classes and sessions, enrol confirmed nominees, run self-selection
  offerings and their rounds, take attendance, approve leave, dismiss, assess completion and report incidents;
* a teacher (a user linked to a `teachers.Teacher`) self-selects, checks in, asks for leave, files special
  circumstances and records insurance and an emergency contact;
* the sending unit (school_admin) files special circumstances and assesses how results were applied;
* the county administrator of the teacher's county decides special circumstances.

The integrity file (MGMT-6) is written through `teachers.services.integrity_entry_create`: a no-show without
approved special circumstances (event: the class's last day), a dismissal (the dismissal day) and a failed
completion (the assessment day), each banning for exactly three years.
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone

from guopei.core.audit import _roles_for as audit_roles
from guopei.core.audit import audit_record
from guopei.core.middleware import client_ip, current_request
from guopei.core.pii import pii_encrypt
from guopei.core.uploads import DOCX, JPEG, PDF, PNG, UploadError, check_upload, stored_name
from guopei.orgs.models import Membership
from guopei.orgs.scoping import code_within, institution_ids_of, school_ids_of, user_covers_region
from guopei.plans.models import Project
from guopei.teachers import services as teacher_services
from guopei.teachers.models import IntegrityEntry, Nomination, Participation, Teacher

from . import seats
from .checkin import checkin_window, current_slot, token_valid
from .models import (
    Attendance,
    Certificate,
    Decision,
    Dismissal,
    Enrolment,
    Incident,
    IncidentPerson,
    LeaveRequest,
    Notice,
    Offering,
    Seat,
    Session,
    SpecialCircumstance,
    TrainingClass,
)

Role = Membership.Role

ERR_NOT_STAFF = "只有本班次承训机构的工作人员可以执行此操作。"
ERR_NOT_TEACHER = "您的账号尚未关联教师信息，不能选学或签到。"
ERR_NO_AWARD = "本机构没有该项目（或该县区）已签约的中标结果，不能开班。"
ERR_HEAD_TEACHER = "班主任须是本机构的工作人员。"
ERR_NO_COURSE_PLAN = "该项目尚无已审核通过的课程方案，不能生成课次。"
ERR_SESSIONS_HELD = "已有课次开始考勤，不能重新生成课次。"
ERR_SESSIONS_EXCEED = "按课程方案排课需要到{needed}，超出了结班日期，请先调整班次日期。"
ERR_CLASS_ENDED = "班次已结班，不能再修改。"
ERR_CLASS_FULL = "班次已满（班额{capacity}人）。"
ERR_OFFERING_CLOSED = "该选学项目当前不在开放时间内。"
ERR_OFFERING_FULL = "名额已满。"
ERR_OFFERING_REGION = "该选学项目不面向您所在的区域。"
ERR_OFFERING_CAP = "您同时最多只能选{cap}个选学项目（含候补），请先退选其他项目。"
ERR_BANNED = "您在诚信档案禁训期内，不能参加国培计划（MGMT-6）。"
ERR_ALREADY_IN_CLASS = "您已在该班次中。"
ERR_RETRY = "操作冲突，请刷新后重试。"
ERR_SEAT_STATE = "该报名已退选或已释放。"
ERR_SEAT_NOT_OWN = "只能退选自己的报名。"
ERR_ROUND_NOT_OVER = "第一轮选学尚未截止，不能结束第一轮。"
ERR_ROUND_TWO_WINDOW = "第二轮的截止时间必须晚于开放时间。"
ERR_ROUND_STATE = "只有第一轮后仍在选学中的项目可以开放第二轮。"
ERR_NOT_ENROLLED = "该教师不是本班次的在班学员。"
ERR_TOKEN = "签到码无效或已过期，请扫描教室里当前显示的二维码。"  # noqa: S105 (a message, not a secret)
ERR_WINDOW = "不在本课次的签到时间内。"
ERR_REGISTER_CLOSED = "本课次考勤已关闭。"
ERR_REGISTER_EARLY = "课次尚未开始，不能关闭考勤。"
ERR_STATUS = "未知的考勤状态。"
ERR_REGISTERS_OPEN = "还有{n}个课次的考勤未关闭，不能结班。"
ERR_CLASS_NOT_ENDED = "班次结班后才能进行结业考核。"
ERR_ALREADY_ASSESSED = "该学员已完成结业考核。"
ERR_SCORE = "考核成绩须在0到100之间。"
ERR_REASON = "请填写原因。"
ERR_EVIDENCE = "劝退须上传证明材料。"
ERR_NOT_ACTIVE = "该学员不在班（已取消、未报到或已劝退）。"
ERR_LEAVE_OWN = "只能为自己申请请假。"
ERR_LEAVE_RANGE = "请假日期须在班次日期之内。"
ERR_DECIDED = "该申请已审批。"
ERR_NOTE = "请填写审批意见。"
ERR_CIRCUMSTANCE_FILER = "只有学员本人或其选派单位可以提交特殊情况。"
ERR_CIRCUMSTANCE_DECIDER = "只有学员所在县区的管理员可以审批特殊情况。"
ERR_APPLICATION_DENIED = "只有学员的选派单位可以进行成果应用考核。"
ERR_APPLICATION_EARLY = "成果应用考核在结班{days}天后开放（{day}起）。"
ERR_APPLICATION_NOT_PASSED = "只有结业考核合格的学员参加成果应用考核。"
ERR_SAFETY_DENIED = "只能登记本人的保险和紧急联系人。"
ERR_PHONE = "请填写正确的手机号或电话号码。"
ERR_INCIDENT_TRAINEE = "所选学员不在本班次。"
ERR_NOTICE_OWN = "只能处理自己的通知。"

EVIDENCE_TYPES = (PDF, JPEG, PNG, DOCX)
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
MORNING = time(8, 30)
AFTERNOON = time(14, 30)
# One 学时 is 45 minutes; sessions have a 10-minute break between hours.
HOUR_MINUTES = 45
BREAK_MINUTES = 10


# --- helpers ------------------------------------------------------------------------------------------------
def is_staff_of(user: Any, klass: TrainingClass) -> bool:
    return klass.institution_id in institution_ids_of(user)


def _require_staff(actor: Any, klass: TrainingClass) -> None:
    if not is_staff_of(actor, klass):
        raise PermissionDenied(ERR_NOT_STAFF)


def teacher_for(user: Any) -> Teacher | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Teacher.objects.filter(user_id=user.pk).select_related("school").first()


def _require_teacher(actor: Any) -> Teacher:
    teacher = teacher_for(actor)
    if teacher is None:
        raise PermissionDenied(ERR_NOT_TEACHER)
    return teacher


def _require_open_class(klass: TrainingClass) -> None:
    # Read the status from the database: the caller's object may predate the class's end.
    if TrainingClass.objects.filter(pk=klass.pk, status=TrainingClass.Status.ENDED).exists():
        raise ValidationError(ERR_CLASS_ENDED)


def notice_send(*, recipients: list[Any], text: str, url: str = "") -> int:
    """Leave an in-app notice for each recipient (users or user ids); the caller audits the action behind it."""
    ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    Notice.objects.bulk_create([Notice(recipient_id=pk, text=text[:500], url=url[:300]) for pk in ids])
    return len(ids)


def _school_admin_ids(school_ids: list[int]) -> list[int]:
    return list(Membership.objects.filter(role=Role.SCHOOL_ADMIN, school_id__in=school_ids, is_active=True)
                .values_list("user_id", flat=True).distinct())


def _store_evidence(upload: Any, folder: str) -> tuple[str, str, str]:
    """Check an evidence file by its content and store it under a generated name: (name, display, mime)."""
    try:
        checked = check_upload(upload, name=getattr(upload, "name", "材料"), allowed=EVIDENCE_TYPES,
                               max_bytes=EVIDENCE_MAX_BYTES)
    except UploadError as exc:
        raise ValidationError(exc.message) from None
    upload.seek(0)
    name = default_storage.save(stored_name(folder, checked.file_type), ContentFile(upload.read()))
    return name, checked.display_name, checked.file_type.mime


# --- classes and sessions (COURSE-5) ------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassInput:
    name: str
    start_date: date
    end_date: date
    venue: str
    capacity: int
    form: str = Project.Form.FACE_TO_FACE
    head_teacher: Any = None
    pass_mark: Decimal = Decimal("60")


def live_award_for(project: Project, institution_id: int, county: Any = None) -> Any:
    """The institution's contracted award of the project (of one IT 2.0 county when given), or None."""
    from guopei.tenders.models import Award

    qs = Award.objects.filter(project=project, institution_id=institution_id, status=Award.Status.CONTRACTED)
    if county is not None:
        qs = qs.filter(county_id=getattr(county, "pk", county))
    return qs.select_related("county").order_by("county_id", "pk").first()


def class_create(*, actor: Any, project: Project, institution_id: int, data: ClassInput, county: Any = None,
                 is_demo: bool = False) -> TrainingClass:
    """Open a class of a project the institution won and signed (TENDER-1 → COURSE-5)."""
    from guopei.tenders.selectors import approved_course_plan

    if institution_id not in institution_ids_of(actor):
        raise PermissionDenied(ERR_NOT_STAFF)
    award = live_award_for(project, institution_id, county)
    if award is None:
        raise ValidationError(ERR_NO_AWARD)
    if data.head_teacher is not None and not Membership.objects.filter(
            user=data.head_teacher, role=Role.INSTITUTION_STAFF, institution_id=institution_id,
            is_active=True).exists():
        raise ValidationError({"head_teacher": ERR_HEAD_TEACHER})
    with transaction.atomic():
        klass = TrainingClass(
            project=project, institution_id=institution_id, award=award,
            course_plan=approved_course_plan(project, award.county_id) if award.county_id
            else approved_course_plan(project),
            region_code=award.county_id or project.plan.province, name=data.name.strip(),
            start_date=data.start_date, end_date=data.end_date, venue=data.venue.strip(), capacity=data.capacity,
            form=data.form, head_teacher=data.head_teacher, pass_mark=data.pass_mark, created_by=actor,
            is_demo=is_demo,
        )
        klass.full_clean()
        klass.save()
        audit_record(actor=actor, action="delivery.class_create", obj=klass,
                     detail={"project": project.pk, "award": award.pk, "capacity": klass.capacity})
    return klass


def class_update(*, actor: Any, klass: TrainingClass, data: ClassInput) -> TrainingClass:
    """Change a class's dates, venue, capacity, form, head teacher or pass mark (flexible scheduling, COURSE-5)."""
    _require_staff(actor, klass)
    _require_open_class(klass)
    if data.head_teacher is not None and not Membership.objects.filter(
            user=data.head_teacher, role=Role.INSTITUTION_STAFF, institution_id=klass.institution_id,
            is_active=True).exists():
        raise ValidationError({"head_teacher": ERR_HEAD_TEACHER})
    with transaction.atomic():
        klass = TrainingClass.objects.select_for_update().get(pk=klass.pk)
        active = klass.enrolments.filter(status=Enrolment.Status.ENROLLED).count()
        if data.capacity < active:
            raise ValidationError({"capacity": ERR_CLASS_FULL.format(capacity=active)})
        for field in ("name", "start_date", "end_date", "venue", "capacity", "form", "head_teacher", "pass_mark"):
            setattr(klass, field, getattr(data, field))
        klass.full_clean()
        klass.save(update_fields=["name", "start_date", "end_date", "venue", "capacity", "form", "head_teacher",
                                  "pass_mark", "updated_at"])
        audit_record(actor=actor, action="delivery.class_update", obj=klass,
                     detail={"start": str(klass.start_date), "end": str(klass.end_date), "capacity": klass.capacity})
    return klass


def _session_end(start: time, hours: int) -> time:
    minutes = hours * HOUR_MINUTES + (hours - 1) * BREAK_MINUTES
    moment = datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)
    return moment.time()


def plan_sessions(modules: list[Any], start_date: date, max_hours: int) -> list[dict[str, Any]]:
    """Cut each module's theory and practice hours into sessions of at most `max_hours`, two a day from the
    first day (morning, afternoon), in the plan's order."""
    rows: list[dict[str, Any]] = []
    slot = 0
    for module in modules:
        for kind, hours in ((Session.Kind.THEORY, module.theory_hours), (Session.Kind.PRACTICE,
                                                                         module.practice_hours)):
            left = hours
            while left > 0:
                chunk = min(left, max_hours)
                day = start_date + timedelta(days=slot // 2)
                start = MORNING if slot % 2 == 0 else AFTERNOON
                rows.append({"title": module.title, "component": module.component, "kind": kind, "date": day,
                             "start_time": start, "end_time": _session_end(start, chunk), "hours": chunk})
                left -= chunk
                slot += 1
    return rows


def sessions_generate(*, actor: Any, klass: TrainingClass) -> int:
    """Create the class's sessions from the approved course plan's modules (COURSE-5); replace any not yet held."""
    from guopei.tenders.selectors import approved_course_plan, approved_modules

    _require_staff(actor, klass)
    _require_open_class(klass)
    plan = klass.course_plan or approved_course_plan(klass.project)
    if plan is None or plan.status != "approved":
        raise ValidationError(ERR_NO_COURSE_PLAN)
    rows = plan_sessions(list(approved_modules(plan)), klass.start_date, settings.DELIVERY_SESSION_MAX_HOURS)
    if not rows:
        raise ValidationError(ERR_NO_COURSE_PLAN)
    if rows[-1]["date"] > klass.end_date:
        raise ValidationError(ERR_SESSIONS_EXCEED.format(needed=f"{rows[-1]['date']:%Y年%m月%d日}"))
    with transaction.atomic():
        if Attendance.objects.filter(session__klass=klass).exists() or klass.sessions.filter(
                register_closed_at__isnull=False).exists():
            raise ValidationError(ERR_SESSIONS_HELD)
        klass.sessions.all().delete()
        Session.objects.bulk_create([Session(klass=klass, order=n, **row) for n, row in enumerate(rows, start=1)])
        if klass.course_plan_id != plan.pk:
            klass.course_plan = plan
            klass.save(update_fields=["course_plan", "updated_at"])
        audit_record(actor=actor, action="delivery.sessions_generate", obj=klass,
                     detail={"course_plan": plan.pk, "sessions": len(rows),
                             "hours": sum(r["hours"] for r in rows)})
    return len(rows)


def session_update(*, actor: Any, session: Session, day: date, start_time: time, end_time: time,
                   venue: str = "") -> Session:
    """Move a session (flexible scheduling, COURSE-5); a closed register stays where it was held."""
    _require_staff(actor, session.klass)
    if session.is_closed:
        raise ValidationError(ERR_REGISTER_CLOSED)
    with transaction.atomic():
        session.date, session.start_time, session.end_time, session.venue = day, start_time, end_time, venue.strip()
        session.full_clean()
        session.save(update_fields=["date", "start_time", "end_time", "venue", "updated_at"])
        audit_record(actor=actor, action="delivery.session_update", obj=session,
                     region_code=session.klass.region_code,
                     detail={"date": str(day), "start": str(start_time), "end": str(end_time)})
    return session


# --- enrolment of confirmed nominees -------------------------------------------------------------------------
def _active_count(klass: TrainingClass) -> int:
    return klass.enrolments.filter(status=Enrolment.Status.ENROLLED).count()


def enrol_confirmed_nominees(*, actor: Any, klass: TrainingClass) -> dict[str, int]:
    """Enrol the project's confirmed nominees (MGMT-5) not yet in a class of it, up to the class's capacity.

    For an IT 2.0 county class only that county's nominees are taken.
    """
    _require_staff(actor, klass)
    _require_open_class(klass)
    with transaction.atomic():
        klass = TrainingClass.objects.select_for_update().get(pk=klass.pk)
        nominations = (Nomination.objects.filter(project_id=klass.project_id, status=Nomination.Status.CONFIRMED,
                                                 is_alternate=False)
                       .exclude(teacher_id__in=Enrolment.objects.filter(klass__project_id=klass.project_id)
                                .values("teacher_id"))
                       .select_related("teacher").order_by("region_code", "rank", "pk"))
        if len(klass.region_code) == 6 and not klass.region_code.endswith("00"):
            nominations = nominations.filter(county_id=klass.region_code)
        room = klass.capacity - _active_count(klass)
        chosen = list(nominations[: max(room, 0)])
        waiting = nominations.count() - len(chosen)
        Enrolment.objects.bulk_create([
            Enrolment(klass=klass, teacher=n.teacher, school_id=n.teacher.school_id,
                      region_code=n.teacher.region_code, source=Enrolment.Source.NOMINATION, nomination=n,
                      is_demo=klass.is_demo)
            for n in chosen
        ])
        audit_record(actor=actor, action="delivery.enrol_nominees", obj=klass,
                     detail={"enrolled": len(chosen), "left_over": waiting})
    return {"enrolled": len(chosen), "left_over": waiting}


def enrolment_mark_no_show(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    """Record at intake that a confirmed trainee did not report (未报到); the integrity entry follows at class end
    unless the county approves special circumstances (MGMT-6)."""
    _require_staff(actor, enrolment.klass)
    _require_open_class(enrolment.klass)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status != Enrolment.Status.ENROLLED:
            raise ValidationError(ERR_NOT_ACTIVE)
        if enrolment.attendance.filter(status__in=Attendance.ATTENDED).exists():
            raise ValidationError(ERR_NOT_ACTIVE)
        enrolment.status = Enrolment.Status.NO_SHOW
        enrolment.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="delivery.enrolment_no_show", obj=enrolment,
                     detail={"teacher": enrolment.teacher_id, "class": enrolment.klass_id})
    return enrolment


# --- self-selection (MGMT-3, docs/adr/0004-seat-booking.md) --------------------------------------------------
@dataclass(frozen=True)
class OfferingInput:
    title: str
    capacity: int
    opens_at: datetime
    closes_at: datetime
    region_code: str
    min_enrolment: int = 1
    description: str = ""


def offering_create(*, actor: Any, klass: TrainingClass, data: OfferingInput, is_demo: bool = False) -> Offering:
    """Offer seats of a class for self-selection in a window (MGMT-3)."""
    _require_staff(actor, klass)
    _require_open_class(klass)
    with transaction.atomic():
        offering = Offering(klass=klass, title=data.title.strip(), description=data.description.strip(),
                            region_code=data.region_code, capacity=data.capacity, min_enrolment=data.min_enrolment,
                            opens_at=data.opens_at, closes_at=data.closes_at, is_demo=is_demo)
        offering.full_clean()
        offering.save()
        audit_record(actor=actor, action="delivery.offering_create", obj=offering, region_code=klass.region_code,
                     detail={"class": klass.pk, "capacity": offering.capacity,
                             "opens_at": offering.opens_at.isoformat(), "closes_at": offering.closes_at.isoformat()})
    return offering


class SeatOutcome:
    HELD = "held"
    WAITLISTED = "waitlisted"


def _enrol_from_seat(seat: Seat, teacher: Teacher, klass_id: int, is_demo: bool = False) -> Enrolment:
    existing = Enrolment.objects.filter(klass_id=klass_id, teacher_id=teacher.pk).first()
    if existing is not None:
        if existing.status == Enrolment.Status.ENROLLED:
            raise ValidationError(ERR_ALREADY_IN_CLASS)
        existing.status = Enrolment.Status.ENROLLED
        existing.seat = seat
        existing.source = Enrolment.Source.SELECTION
        existing.school_id = teacher.school_id
        existing.region_code = teacher.region_code
        existing.save(update_fields=["status", "seat", "source", "school", "region_code", "updated_at"])
        return existing
    return Enrolment.objects.create(klass_id=klass_id, teacher=teacher, school_id=teacher.school_id,
                                    region_code=teacher.region_code, source=Enrolment.Source.SELECTION, seat=seat,
                                    is_demo=is_demo)


MAX_ID = 2**63 - 1  # the largest primary key (bigint)


class NotOffered(LookupError):
    """The offering is not aimed at the teacher's region: for them it does not exist (pages and API answer 404)."""


def _audit_values(actor: Any) -> dict[str, Any]:
    """The actor's part of an audit event that a seat statement writes itself: what `audit_record` would write."""
    return {"actor": actor.pk, "actor_name": actor.get_username()[:150], "role": audit_roles(actor),
            "ip": client_ip(current_request())}


_SEAT_FIELDS = [f.attname for f in Seat._meta.concrete_fields]


def _seat(**values: Any) -> Seat:
    """A seat as the database holds it, from the values a seat statement returned (the rest load on access)."""
    return Seat.from_db(transaction.get_connection().alias, list(values),
                        [values[name] for name in _SEAT_FIELDS if name in values])


def _seat_refusal(checks: seats.TakeChecks, cap: int) -> ValidationError | None:
    """The rule a seat request breaks, in the order the teacher is told (MGMT-6 ban, MGMT-3 cap, already in)."""
    if checks.banned:
        return ValidationError(ERR_BANNED)
    if (checks.active_seats or 0) >= cap:
        return ValidationError(ERR_OFFERING_CAP.format(cap=cap))
    if checks.enrolment_status == Enrolment.Status.ENROLLED:
        return ValidationError(ERR_ALREADY_IN_CLASS)
    return None


def _active_seat(checks: seats.TakeChecks, lock: seats.TeacherLock) -> Seat:
    return _seat(id=checks.seat_id, offering_id=lock.offering_id, teacher_id=lock.teacher_id,
                 status=checks.seat_status, queued_at=checks.seat_queued_at, promoted_at=checks.seat_promoted_at,
                 cancelled_at=checks.seat_cancelled_at)


def _no_seat_written(checks: seats.TakeChecks) -> ValidationError:
    """Why a request that broke no rule got neither a seat nor a waitlist place."""
    if not checks.open_now:
        return ValidationError(ERR_OFFERING_CLOSED)
    if not settings.DELIVERY_WAITLIST:
        return ValidationError(ERR_OFFERING_FULL)
    return ValidationError(ERR_RETRY)  # the cancelled seat taken again changed meanwhile


def seat_take(*, actor: Any, offering: Offering | int, now: datetime | None = None) -> Seat:
    """Take a seat of an offering, or a place on its waitlist when it is full (MGMT-3).

    Race-safe under a rush: the seat count moves only by `UPDATE … SET taken = taken + 1 WHERE taken < capacity`
    (one winner per last seat, whatever the database), the CHECK constraint `taken <= capacity` refuses any
    other path, and UNIQUE(offering, teacher) stops a double click from taking two seats. The teacher's row is
    locked first, in a statement of its own, so one person's concurrent requests (several tabs) cannot pass the cap
    together. Choosing again an offering one already holds or waits for returns that seat unchanged. `offering` may
    be just its id. On PostgreSQL the lock, the checks and every write are one call of the seat function
    (`seats.take_call`), its own transaction when no transaction is open.
    """
    now = now or timezone.now()
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(ERR_NOT_TEACHER)
    offering_id = offering if isinstance(offering, int) else offering.pk
    if not 0 < offering_id <= MAX_ID:
        raise NotOffered(ERR_OFFERING_REGION)  # no such offering: an id from a URL past the key's range
    try:
        if seats.one_statement():
            return _seat_take_in_one_call(actor, offering_id, now)
        with transaction.atomic():
            lock = seats.take_lock(user_id=actor.pk, offering_id=offering_id)
            _check_lock(lock, within=lock is not None and lock.offering_id is not None
                        and code_within(lock.region_code, lock.offering_region or ""))
            assert lock is not None
            return _seat_take_step_by_step(actor, lock, now)
    except IntegrityError:
        # The same teacher's other request inserted the seat first: that one stands.
        existing = Seat.objects.filter(offering_id=offering_id, teacher__user_id=actor.pk).first()
        if existing is None:
            raise
        return existing


def _check_lock(lock: seats.TeacherLock | None, *, within: bool) -> None:
    """No teacher record: 403; no such offering, or one aimed outside the teacher's region: 404."""
    if lock is None:
        raise PermissionDenied(ERR_NOT_TEACHER)
    if lock.offering_id is None or not within:
        raise NotOffered(ERR_OFFERING_REGION)


def _seat_take_in_one_call(actor: Any, offering_id: int, now: datetime) -> Seat:
    cap = settings.DELIVERY_OFFERING_CAP
    connection = transaction.get_connection()
    # Outside a transaction the call is its own (one round trip); inside one, a savepoint keeps a failed call from
    # spoiling the caller's transaction.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            call = seats.take_call(user_id=actor.pk, offering_id=offering_id, now=now, today=timezone.localdate(now),
                                   cap=cap, waitlist=settings.DELIVERY_WAITLIST, audit=_audit_values(actor))
    except seats.TakeRetry:
        raise ValidationError(ERR_RETRY) from None
    _check_lock(call.lock, within=call.within_region)
    lock, result = call.lock, call.outcome
    assert lock is not None and result is not None
    checks = result.checks
    if checks.seat_status in Seat.ACTIVE:
        return _active_seat(checks, lock)
    refusal = _seat_refusal(checks, cap)
    if refusal is not None:
        raise refusal
    if result.seat_id is None:
        raise _no_seat_written(checks)  # nothing was written: the function raises when the count moved alone
    return _seat(id=result.seat_id, created_at=now, updated_at=now, offering_id=lock.offering_id,
                 teacher_id=lock.teacher_id, status=result.seat_status, queued_at=now, promoted_at=None,
                 cancelled_at=None)


def _seat_take_step_by_step(actor: Any, lock: seats.TeacherLock, now: datetime) -> Seat:
    """The same request as separate statements, for SQLite: its IMMEDIATE transaction serialises the writers."""
    assert lock.offering_id is not None and lock.klass_id is not None
    cap = settings.DELIVERY_OFFERING_CAP
    checks = seats.take_checks(teacher_id=lock.teacher_id, offering_id=lock.offering_id, klass_id=lock.klass_id,
                               now=now, today=timezone.localdate(now))
    if checks.seat_status in Seat.ACTIVE:
        return _active_seat(checks, lock)
    refusal = _seat_refusal(checks, cap)
    if refusal is not None:
        raise refusal
    if Offering.objects.filter(pk=lock.offering_id, status=Offering.Status.OPEN, opens_at__lte=now,
                               closes_at__gt=now, taken__lt=F("capacity")).update(taken=F("taken") + 1):
        status = Seat.Status.HELD
    elif checks.open_now and settings.DELIVERY_WAITLIST:
        status = Seat.Status.WAITLISTED
    else:
        raise _no_seat_written(checks)
    if checks.seat_id is not None:
        # A cancelled or released seat is taken again: same row (UNIQUE(offering, teacher)).
        if not Seat.objects.filter(pk=checks.seat_id, status__in=[Seat.Status.CANCELLED, Seat.Status.RELEASED]
                                   ).update(status=status, queued_at=now, cancelled_at=None, promoted_at=None,
                                            updated_at=now):
            raise ValidationError(ERR_RETRY)
        seat = _seat(id=checks.seat_id, offering_id=lock.offering_id, teacher_id=lock.teacher_id, status=status,
                     queued_at=now, promoted_at=None, cancelled_at=None)
    else:
        seat = Seat.objects.create(offering_id=lock.offering_id, teacher_id=lock.teacher_id, status=status,
                                   queued_at=now)
    if status == Seat.Status.HELD:
        if checks.enrolment_id is None:
            Enrolment.objects.create(klass_id=lock.klass_id, teacher_id=lock.teacher_id, school_id=lock.school_id,
                                     region_code=lock.region_code, source=Enrolment.Source.SELECTION, seat=seat,
                                     is_demo=bool(lock.offering_demo))
        else:
            Enrolment.objects.filter(pk=checks.enrolment_id).update(
                status=Enrolment.Status.ENROLLED, seat=seat, source=Enrolment.Source.SELECTION,
                school_id=lock.school_id, region_code=lock.region_code, updated_at=now)
    audit_record(actor=actor, action="delivery.seat_take", obj=seat, region_code=lock.region_code,
                 detail={"offering": lock.offering_id, "status": status})
    return seat


def _promote_next(offering_id: int, now: datetime) -> Seat | None:
    """Give a freed seat to the first teacher on the waitlist (a conditional update: one winner per seat)."""
    for candidate in (Seat.objects.filter(offering_id=offering_id, status=Seat.Status.WAITLISTED)
                      .select_related("teacher", "offering").order_by("queued_at", "pk").iterator(chunk_size=20)):
        if Seat.objects.filter(pk=candidate.pk, status=Seat.Status.WAITLISTED).update(
                status=Seat.Status.HELD, promoted_at=now, updated_at=now):
            candidate.status = Seat.Status.HELD
            try:
                with transaction.atomic():
                    _enrol_from_seat(candidate, candidate.teacher, candidate.offering.klass_id,
                                     is_demo=candidate.offering.is_demo)
            except ValidationError:
                # Already in the class by another route: this place goes to the next teacher.
                Seat.objects.filter(pk=candidate.pk).update(status=Seat.Status.RELEASED, cancelled_at=now,
                                                            updated_at=now)
                continue
            if candidate.teacher.user_id:
                notice_send(recipients=[candidate.teacher.user_id], text=_promoted_text(candidate.offering.title),
                            url=reverse("delivery:my_training"))
            return candidate
    return None


def _promoted_text(title: str) -> str:
    return f"您候补的选学项目“{title}”有人退选，您已自动递补选上。"


def seat_cancel(*, actor: Any, seat: Seat | int, now: datetime | None = None) -> Seat:
    """Give up a seat or a waitlist place; a freed seat goes to the first on the waitlist in the same
    transaction, otherwise the count goes down (MGMT-3).

    `seat` may be just its id. The seat's row is locked first, in a statement of its own, and read as it is then:
    a waitlist place promoted a moment ago by someone else's cancellation is given back as the seat it now is. On
    PostgreSQL the writes (the seat, its enrolment, the promotion with its enrolment and notice, the count, the audit
    event) are one statement (`seats.cancel`). Raises `Seat.DoesNotExist` for no such seat and `PermissionDenied`
    for someone else's.
    """
    now = now or timezone.now()
    seat_id = seat if isinstance(seat, int) else seat.pk
    with transaction.atomic():
        lock = seats.cancel_lock(seat_id=seat_id)
        if lock is None:
            raise Seat.DoesNotExist(seat_id)
        if lock.user_id is None or lock.user_id != getattr(actor, "pk", None):
            raise PermissionDenied(ERR_SEAT_NOT_OWN)
        if lock.status not in Seat.ACTIVE:
            raise ValidationError(ERR_SEAT_STATE)
        if lock.klass_status == TrainingClass.Status.ENDED:
            raise ValidationError(ERR_CLASS_ENDED)
        promote = lock.offering_status == Offering.Status.OPEN
        cancelled = _seat(id=lock.seat_id, offering_id=lock.offering_id, teacher_id=lock.teacher_id,
                          status=Seat.Status.CANCELLED, queued_at=lock.queued_at, promoted_at=lock.promoted_at,
                          cancelled_at=now)
        if seats.one_statement():
            seats.cancel(lock=lock, now=now, promote=promote, notice_text=_promoted_text(lock.offering_title),
                         notice_url=reverse("delivery:my_training"), audit=_audit_values(actor))
            return cancelled
        was_held = lock.status == Seat.Status.HELD
        Seat.objects.filter(pk=lock.seat_id).update(status=Seat.Status.CANCELLED, cancelled_at=now, updated_at=now)
        promoted = None
        if was_held:
            Enrolment.objects.filter(seat_id=lock.seat_id, status=Enrolment.Status.ENROLLED).update(
                status=Enrolment.Status.CANCELLED, updated_at=now)
            if promote:
                promoted = _promote_next(lock.offering_id, now)
            if promoted is None:
                Offering.objects.filter(pk=lock.offering_id, taken__gt=0).update(taken=F("taken") - 1)
        audit_record(actor=actor, action="delivery.seat_cancel", obj=cancelled, region_code=lock.region_code,
                     detail={"offering": lock.offering_id, "was_held": was_held,
                             "promoted_seat": promoted.pk if promoted else None})
    return cancelled


def _release_seats(offering: Offering, statuses: tuple[str, ...], now: datetime) -> list[Seat]:
    seats = list(offering.seats.filter(status__in=statuses).select_related("teacher"))
    Seat.objects.filter(pk__in=[s.pk for s in seats]).update(status=Seat.Status.RELEASED, cancelled_at=now)
    return seats


def offering_close(*, actor: Any, offering: Offering, now: datetime | None = None) -> Offering:
    """Close an offering: its held seats stay enrolled, its waitlist is released and told so."""
    now = now or timezone.now()
    _require_staff(actor, offering.klass)
    with transaction.atomic():
        offering = Offering.objects.select_for_update().select_related("klass").get(pk=offering.pk)
        released = _release_seats(offering, (Seat.Status.WAITLISTED,), now)
        offering.status = Offering.Status.CLOSED
        offering.save(update_fields=["status", "updated_at"])
        notice_send(recipients=[s.teacher.user_id for s in released],
                    text=f"选学项目“{offering.title}”已截止，您的候补未能递补。",
                    url=reverse("delivery:offering_list"))
        audit_record(actor=actor, action="delivery.offering_close", obj=offering,
                     region_code=offering.klass.region_code,
                     detail={"taken": offering.taken, "waitlist_released": len(released)})
    return offering


def offering_cancel(*, actor: Any, offering: Offering, reason: str, now: datetime | None = None) -> Offering:
    """Cancel an under-subscribed offering: every seat is released, enrolments from it cancelled, teachers told."""
    now = now or timezone.now()
    _require_staff(actor, offering.klass)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERR_REASON)
    with transaction.atomic():
        offering = Offering.objects.select_for_update().select_related("klass").get(pk=offering.pk)
        released = _release_seats(offering, Seat.ACTIVE, now)
        Enrolment.objects.filter(seat__in=[s.pk for s in released], status=Enrolment.Status.ENROLLED).update(
            status=Enrolment.Status.CANCELLED, updated_at=now)
        offering.status = Offering.Status.CANCELLED
        offering.taken = 0
        offering.save(update_fields=["status", "taken", "updated_at"])
        notice_send(recipients=[s.teacher.user_id for s in released],
                    text=f"您选学的“{offering.title}”因{reason}取消开班，请在第二轮选学中另选其他项目。",
                    url=reverse("delivery:offering_list"))
        audit_record(actor=actor, action="delivery.offering_cancel", obj=offering,
                     region_code=offering.klass.region_code, detail={"released": len(released), "reason": reason})
    return offering


def selection_round_finish(*, actor: Any, offerings: list[Offering], now: datetime | None = None) -> dict[str, int]:
    """End round 1 (MGMT-3): close full offerings, cancel those under their minimum, keep the rest for round 2."""
    now = now or timezone.now()
    result = {"closed": 0, "cancelled": 0, "kept": 0}
    with transaction.atomic():
        for offering in offerings:
            _require_staff(actor, offering.klass)
            if offering.round != 1 or offering.status != Offering.Status.OPEN:
                continue
            if offering.closes_at > now:
                raise ValidationError(ERR_ROUND_NOT_OVER)
            offering.refresh_from_db()
            if offering.taken >= offering.capacity:
                offering_close(actor=actor, offering=offering, now=now)
                result["closed"] += 1
            elif offering.taken < offering.min_enrolment:
                offering_cancel(actor=actor, offering=offering, now=now,
                                reason=f"第一轮选学人数不足（{offering.taken}人，最低{offering.min_enrolment}人）")
                result["cancelled"] += 1
            else:
                result["kept"] += 1
        audit_record(actor=actor, action="delivery.selection_round_finish", detail=result)
    return result


def selection_round_two_open(*, actor: Any, offerings: list[Offering], opens_at: datetime,
                             closes_at: datetime) -> int:
    """Open round 2 on the offerings left open after round 1, in a new window, to fill the remaining seats."""
    if closes_at <= opens_at:
        raise ValidationError(ERR_ROUND_TWO_WINDOW)
    count = 0
    with transaction.atomic():
        for offering in offerings:
            _require_staff(actor, offering.klass)
            if offering.round != 1 or offering.status != Offering.Status.OPEN:
                raise ValidationError(ERR_ROUND_STATE)
            offering.round = 2
            offering.opens_at, offering.closes_at = opens_at, closes_at
            offering.full_clean()
            offering.save(update_fields=["round", "opens_at", "closes_at", "updated_at"])
            count += 1
        audit_record(actor=actor, action="delivery.selection_round_two_open",
                     detail={"offerings": [o.pk for o in offerings], "opens_at": opens_at.isoformat(),
                             "closes_at": closes_at.isoformat()})
    return count


# --- check-in and attendance --------------------------------------------------------------------------------
def _ensure_running(klass: TrainingClass) -> None:
    if klass.status == TrainingClass.Status.PLANNED:
        TrainingClass.objects.filter(pk=klass.pk, status=TrainingClass.Status.PLANNED).update(
            status=TrainingClass.Status.RUNNING)


def checkin(*, actor: Any, session: Session, slot: int, token: str, now: datetime | None = None) -> Attendance:
    """Self check-in by scanning the room's QR code: the token must be the current or previous one, inside the
    session's window; scanning twice counts once."""
    now = now or timezone.now()
    teacher = _require_teacher(actor)
    if not token_valid(session.pk, slot, token, current_slot(now)):
        raise ValidationError(ERR_TOKEN)
    opens, closes = checkin_window(session)
    if not opens <= now <= closes:
        raise ValidationError(ERR_WINDOW)
    if session.is_closed:
        raise ValidationError(ERR_REGISTER_CLOSED)
    enrolment = Enrolment.objects.filter(klass_id=session.klass_id, teacher=teacher,
                                         status=Enrolment.Status.ENROLLED).first()
    if enrolment is None:
        raise ValidationError(ERR_NOT_ENROLLED)
    late = now > session.starts_at + timedelta(minutes=settings.DELIVERY_LATE_AFTER_MINUTES)
    status = Attendance.Status.LATE if late else Attendance.Status.PRESENT
    try:
        with transaction.atomic():
            record = Attendance.objects.select_for_update().filter(session=session, enrolment=enrolment).first()
            if record is not None and record.status in Attendance.ATTENDED:
                return record
            if record is None:
                record = Attendance.objects.create(session=session, enrolment=enrolment, status=status,
                                                   method=Attendance.Method.QR, checked_at=now)
            else:
                record.status, record.method, record.checked_at = status, Attendance.Method.QR, now
                record.save(update_fields=["status", "method", "checked_at", "updated_at"])
            _ensure_running(session.klass)
            audit_record(actor=actor, action="delivery.checkin", obj=record, region_code=enrolment.region_code,
                         detail={"session": session.pk, "status": status})
    except IntegrityError:
        return Attendance.objects.get(session=session, enrolment=enrolment)
    return record


def attendance_mark(*, actor: Any, session: Session, marks: dict[int, str], note: str = "") -> int:
    """Staff record attendance for trainees who did not scan (or correct a status) before the register closes."""
    _require_staff(actor, session.klass)
    if session.is_closed:
        raise ValidationError(ERR_REGISTER_CLOSED)
    if any(status not in Attendance.Status.values for status in marks.values()):
        raise ValidationError(ERR_STATUS)
    with transaction.atomic():
        enrolments = set(Enrolment.objects.filter(klass_id=session.klass_id, status=Enrolment.Status.ENROLLED,
                                                  pk__in=list(marks)).values_list("pk", flat=True))
        if enrolments != set(marks):
            raise ValidationError(ERR_NOT_ENROLLED)
        existing = {a.enrolment_id: a for a in Attendance.objects.filter(session=session, enrolment_id__in=marks)}
        now = timezone.now()
        changed = 0
        for enrolment_id, status in marks.items():
            record = existing.get(enrolment_id)
            if record is None:
                Attendance.objects.create(session=session, enrolment_id=enrolment_id, status=status,
                                          method=Attendance.Method.STAFF, marked_by=actor, note=note[:200],
                                          checked_at=now if status in Attendance.ATTENDED else None)
                changed += 1
            elif record.status != status:
                record.status, record.method, record.marked_by, record.note = (status, Attendance.Method.STAFF,
                                                                               actor, note[:200])
                record.save(update_fields=["status", "method", "marked_by", "note", "updated_at"])
                changed += 1
        _ensure_running(session.klass)
        audit_record(actor=actor, action="delivery.attendance_mark", obj=session,
                     region_code=session.klass.region_code, detail={"changed": changed, "marks": len(marks)})
    return changed


def _approved_leave(enrolment_ids: list[int], day: date) -> set[int]:
    return set(LeaveRequest.objects.filter(enrolment_id__in=enrolment_ids, status=Decision.APPROVED,
                                           from_date__lte=day, to_date__gte=day).values_list("enrolment_id",
                                                                                              flat=True))


def register_close(*, actor: Any, session: Session, now: datetime | None = None) -> dict[str, int]:
    """Close a session's register: every trainee still without a record is excused (approved leave) or absent."""
    now = now or timezone.now()
    _require_staff(actor, session.klass)
    if now < session.starts_at:
        raise ValidationError(ERR_REGISTER_EARLY)
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("klass").get(pk=session.pk)
        if session.is_closed:
            raise ValidationError(ERR_REGISTER_CLOSED)
        missing = list(Enrolment.objects.filter(klass_id=session.klass_id, status=Enrolment.Status.ENROLLED)
                       .exclude(attendance__session=session).values_list("pk", flat=True))
        excused = _approved_leave(missing, session.date)
        Attendance.objects.bulk_create([
            Attendance(session=session, enrolment_id=pk, marked_by=actor,
                       status=Attendance.Status.EXCUSED if pk in excused else Attendance.Status.ABSENT,
                       method=Attendance.Method.LEAVE if pk in excused else Attendance.Method.REGISTER_CLOSE)
            for pk in missing
        ])
        session.register_closed_at = now
        session.closed_by = actor
        session.save(update_fields=["register_closed_at", "closed_by", "updated_at"])
        _ensure_running(session.klass)
        counts = dict(Attendance.objects.filter(session=session).values_list("status").annotate(n=Count("pk")))
        audit_record(actor=actor, action="delivery.register_close", obj=session,
                     region_code=session.klass.region_code, detail=counts)
    return counts


# --- leave --------------------------------------------------------------------------------------------------
def leave_request_file(*, actor: Any, enrolment: Enrolment, from_date: date, to_date: date,
                       reason: str) -> LeaveRequest:
    """A trainee asks for leave over some days of the class; the institution decides."""
    teacher = _require_teacher(actor)
    if enrolment.teacher_id != teacher.pk:
        raise PermissionDenied(ERR_LEAVE_OWN)
    if enrolment.status != Enrolment.Status.ENROLLED:
        raise ValidationError(ERR_NOT_ACTIVE)
    klass = enrolment.klass
    if from_date < klass.start_date or to_date > klass.end_date:
        raise ValidationError(ERR_LEAVE_RANGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERR_REASON)
    with transaction.atomic():
        leave = LeaveRequest(enrolment=enrolment, from_date=from_date, to_date=to_date, reason=reason[:500])
        leave.full_clean()
        leave.save()
        audit_record(actor=actor, action="delivery.leave_file", obj=leave, region_code=enrolment.region_code,
                     detail={"from": str(from_date), "to": str(to_date)})
        recipients = [klass.head_teacher_id] if klass.head_teacher_id else list(
            Membership.objects.filter(role=Role.INSTITUTION_STAFF, institution_id=klass.institution_id,
                                      is_active=True).values_list("user_id", flat=True))
        notice_send(recipients=recipients,
                    text=f"{teacher.name}申请请假（{from_date:%m月%d日}至{to_date:%m月%d日}），待审批。",
                    url=reverse("delivery:class_detail", args=[klass.pk]) + "#leave")
    return leave


def leave_request_decide(*, actor: Any, leave: LeaveRequest, approve: bool, note: str = "") -> LeaveRequest:
    """Approve or refuse a leave request; approved leave marks the open sessions of those days as excused."""
    klass = leave.enrolment.klass
    _require_staff(actor, klass)
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().select_related("enrolment__teacher").get(pk=leave.pk)
        if leave.status != Decision.PENDING:
            raise ValidationError(ERR_DECIDED)
        leave.status = Decision.APPROVED if approve else Decision.REJECTED
        leave.decided_by, leave.decided_at, leave.decision_note = actor, timezone.now(), note.strip()[:300]
        leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        excused = 0
        if approve:
            sessions = klass.sessions.filter(date__gte=leave.from_date, date__lte=leave.to_date,
                                             register_closed_at__isnull=True)
            for session in sessions:
                record = Attendance.objects.filter(session=session, enrolment=leave.enrolment).first()
                if record is None:
                    Attendance.objects.create(session=session, enrolment=leave.enrolment, marked_by=actor,
                                              status=Attendance.Status.EXCUSED, method=Attendance.Method.LEAVE)
                    excused += 1
                elif record.status == Attendance.Status.ABSENT:
                    record.status, record.method = Attendance.Status.EXCUSED, Attendance.Method.LEAVE
                    record.save(update_fields=["status", "method", "updated_at"])
                    excused += 1
        audit_record(actor=actor, action="delivery.leave_decide", obj=leave,
                     region_code=leave.enrolment.region_code, detail={"approved": approve, "excused": excused})
        notice_send(recipients=[leave.enrolment.teacher.user_id],
                    text=f"您的请假申请（{leave.from_date:%m月%d日}至{leave.to_date:%m月%d日}）{leave.get_status_display()}。",
                    url=reverse("delivery:my_training"))
    return leave


# --- participation records and the integrity file (MGMT-6) ---------------------------------------------------
def attendance_totals(enrolment_ids: list[int]) -> dict[int, dict[str, int]]:
    """Hours attended (present or late) per enrolment, split into theory and practice."""
    rows = (Attendance.objects.filter(enrolment_id__in=enrolment_ids, status__in=Attendance.ATTENDED)
            .values("enrolment_id")
            .annotate(theory=Sum("session__hours", filter=Q(session__kind=Session.Kind.THEORY)),
                      practice=Sum("session__hours", filter=Q(session__kind=Session.Kind.PRACTICE))))
    return {r["enrolment_id"]: {"theory": r["theory"] or 0, "practice": r["practice"] or 0} for r in rows}


def _participation_record(enrolment: Enrolment, result: str, ended_on: date, hours: int = 0,
                          practice_hours: int = 0) -> Participation:
    klass = enrolment.klass
    project = klass.project
    participation, _ = Participation.objects.update_or_create(
        teacher_id=enrolment.teacher_id, year=project.plan.year, project_name=project.name,
        defaults={"project": project, "institution_name": klass.institution.name, "result": result,
                  "hours": hours, "practice_hours": min(practice_hours, hours), "ended_on": ended_on,
                  "is_demo": enrolment.is_demo},
    )
    return participation


def _integrity(enrolment: Enrolment, kind: str, event_date: date, source: str, actor: Any,
               participation: Participation) -> IntegrityEntry:
    return teacher_services.integrity_entry_create(
        teacher=enrolment.teacher, kind=kind, event_date=event_date, actor=actor, participation=participation,
        source=f"{enrolment.klass.project.plan.year}年“{enrolment.klass.name}”{source}",
    )


def _has_approved_circumstances(enrolment: Enrolment) -> bool:
    return enrolment.circumstances.filter(status=Decision.APPROVED).exists()


# --- dismissal (MGMT-5) -------------------------------------------------------------------------------------
def enrolment_dismiss(*, actor: Any, enrolment: Enrolment, reason: str, evidence: Any,
                      dismissed_on: date | None = None) -> Dismissal:
    """The institution dismisses (劝退) a trainee with a reason and evidence (MGMT-5); the integrity file records
    it with a three-year ban from the dismissal day (MGMT-6); the trainee and the sending unit are told."""
    klass = enrolment.klass
    _require_staff(actor, klass)
    _require_open_class(klass)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERR_REASON)
    if evidence is None:
        raise ValidationError(ERR_EVIDENCE)
    dismissed_on = dismissed_on or timezone.localdate()
    name, display, mime = _store_evidence(evidence, "delivery/dismissals")
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().select_related(
            "teacher", "klass__project__plan", "klass__institution").get(pk=enrolment.pk)
        if enrolment.status != Enrolment.Status.ENROLLED:
            raise ValidationError(ERR_NOT_ACTIVE)
        dismissal = Dismissal(enrolment=enrolment, reason=reason[:500], evidence=name, evidence_name=display,
                              evidence_mime=mime, dismissed_on=dismissed_on, dismissed_by=actor)
        dismissal.full_clean()
        dismissal.save()
        enrolment.status = Enrolment.Status.DISMISSED
        enrolment.save(update_fields=["status", "updated_at"])
        hours = attendance_totals([enrolment.pk]).get(enrolment.pk, {"theory": 0, "practice": 0})
        participation = _participation_record(enrolment, Participation.Result.DISMISSED, dismissed_on,
                                              hours["theory"] + hours["practice"], hours["practice"])
        entry = _integrity(enrolment, IntegrityEntry.Kind.DISMISSED, dismissed_on, f"被承训机构劝退：{reason}", actor,
                           participation)
        if enrolment.nomination_id:
            teacher_services.nomination_record_dismissal(actor=actor, nomination_id=enrolment.nomination_id,
                                                         reason=f"在班次“{klass.name}”被劝退：{reason}")
        audit_record(actor=actor, action="delivery.dismiss", obj=dismissal, region_code=enrolment.region_code,
                     detail={"teacher": enrolment.teacher_id, "class": klass.pk, "integrity_entry": entry.pk,
                             "ban_until": entry.ban_until.isoformat()})
        notice_send(recipients=[enrolment.teacher.user_id, *_school_admin_ids([enrolment.school_id])],
                    text=f"{enrolment.teacher.name}在“{klass.name}”被承训机构劝退：{reason}",
                    url=reverse("delivery:enrolment_detail", args=[enrolment.pk]))
    return dismissal


# --- special circumstances ------------------------------------------------------------------------------------
def circumstance_file(*, actor: Any, enrolment: Enrolment, kind: str, description: str,
                      evidence: Any = None) -> SpecialCircumstance:
    """The trainee or the sending unit files special circumstances; the teacher's county decides."""
    teacher = teacher_for(actor)
    as_school = enrolment.school_id in school_ids_of(actor)
    if not as_school and (teacher is None or teacher.pk != enrolment.teacher_id):
        raise PermissionDenied(ERR_CIRCUMSTANCE_FILER)
    description = (description or "").strip()
    if not description:
        raise ValidationError(ERR_REASON)
    stored = _store_evidence(evidence, "delivery/circumstances") if evidence else ("", "", "")
    with transaction.atomic():
        item = SpecialCircumstance(enrolment=enrolment, region_code=enrolment.region_code, kind=kind,
                                   description=description[:1000], evidence=stored[0], evidence_name=stored[1],
                                   evidence_mime=stored[2], filed_by=actor, filed_as_school=as_school)
        item.full_clean()
        item.save()
        audit_record(actor=actor, action="delivery.circumstance_file", obj=item,
                     detail={"enrolment": enrolment.pk, "kind": kind, "as_school": as_school})
        county_admins = Membership.objects.filter(role=Role.COUNTY_ADMIN, region_id=enrolment.region_code,
                                                  is_active=True).values_list("user_id", flat=True)
        notice_send(recipients=list(county_admins),
                    text=f"{enrolment.teacher.name}（{enrolment.klass.name}）提交了特殊情况说明，待县级审批。",
                    url=reverse("delivery:circumstance_list"))
    return item


def circumstance_decide(*, actor: Any, item: SpecialCircumstance, approve: bool, note: str) -> SpecialCircumstance:
    """The county of the teacher approves or rejects; approval annuls a no-show entry already in the integrity
    file (MGMT-6: only a no-show *without* special circumstances bans)."""
    if not user_covers_region(actor, item.region_code, [Role.COUNTY_ADMIN]):
        raise PermissionDenied(ERR_CIRCUMSTANCE_DECIDER)
    note = (note or "").strip()
    if not note:
        raise ValidationError(ERR_NOTE)
    with transaction.atomic():
        item = SpecialCircumstance.objects.select_for_update().select_related(
            "enrolment__klass__project__plan", "enrolment__teacher").get(pk=item.pk)
        if item.status != Decision.PENDING:
            raise ValidationError(ERR_DECIDED)
        item.status = Decision.APPROVED if approve else Decision.REJECTED
        item.decided_by, item.decided_at, item.decision_note = actor, timezone.now(), note[:500]
        item.full_clean()
        item.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        annulled = []
        enrolment = item.enrolment
        if approve and enrolment.status == Enrolment.Status.NO_SHOW:
            for entry in IntegrityEntry.objects.filter(teacher_id=enrolment.teacher_id,
                                                       kind=IntegrityEntry.Kind.NO_SHOW,
                                                       event_date=enrolment.klass.end_date,
                                                       annulled_at__isnull=True):
                teacher_services.integrity_entry_annul(actor=actor, entry=entry,
                                                       reason=f"特殊情况已由县级批准：{note}")
                annulled.append(entry.pk)
        audit_record(actor=actor, action="delivery.circumstance_decide", obj=item,
                     detail={"approved": approve, "annulled_entries": annulled})
        notice_send(recipients=[item.filed_by_id, enrolment.teacher.user_id],
                    text=f"{enrolment.teacher.name}的特殊情况说明{item.get_status_display()}：{note}",
                    url=reverse("delivery:circumstance_list"))
    return item


# --- class end: no-shows, sending units' reports (TRAINEE-1) --------------------------------------------------
def class_finish(*, actor: Any, klass: TrainingClass, now: datetime | None = None) -> dict[str, int]:
    """End a class once every register is closed: trainees who never reported become no-shows (without approved
    special circumstances they enter the integrity file, event day = the class's last day, MGMT-6); every sending
    unit gets a notice with its participation report (TRAINEE-1)."""
    now = now or timezone.now()
    _require_staff(actor, klass)
    with transaction.atomic():
        klass = TrainingClass.objects.select_for_update().select_related("project__plan", "institution").get(
            pk=klass.pk)
        _require_open_class(klass)
        open_registers = klass.sessions.filter(register_closed_at__isnull=True).count()
        if open_registers:
            raise ValidationError(ERR_REGISTERS_OPEN.format(n=open_registers))
        attended = Attendance.objects.filter(enrolment_id=OuterRef("pk"), status__in=Attendance.ATTENDED)
        never = Enrolment.objects.filter(klass=klass, status=Enrolment.Status.ENROLLED).exclude(Exists(attended))
        marked = never.update(status=Enrolment.Status.NO_SHOW, updated_at=now)
        entries = excused = 0
        for enrolment in (Enrolment.objects.filter(klass=klass, status=Enrolment.Status.NO_SHOW)
                          .select_related("teacher", "klass__project__plan", "klass__institution")):
            participation = _participation_record(enrolment, Participation.Result.NO_SHOW, klass.end_date)
            if _has_approved_circumstances(enrolment):
                excused += 1
                continue
            _integrity(enrolment, IntegrityEntry.Kind.NO_SHOW, klass.end_date, "无故未报到", actor, participation)
            entries += 1
        klass.status = TrainingClass.Status.ENDED
        klass.ended_at = now
        klass.save(update_fields=["status", "ended_at", "updated_at"])
        schools = list(klass.enrolments.exclude(status=Enrolment.Status.CANCELLED).values_list("school_id", flat=True)
                       .distinct())
        notified = 0
        for school_id in schools:
            notified += notice_send(
                recipients=_school_admin_ids([school_id]),
                text=f"贵单位教师参加的“{klass.name}”已结班，参训情况报告（考勤、结果、学时）可下载。",
                url=reverse("delivery:school_report", args=[klass.pk, school_id]),
            )
        result = {"no_show": marked, "integrity_entries": entries, "excused_no_show": excused,
                  "sending_units": len(schools), "notices": notified}
        audit_record(actor=actor, action="delivery.class_finish", obj=klass, detail=result)
    return result


# --- completion assessment and certificates ------------------------------------------------------------------
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_certificate_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def attendance_rate(enrolment: Enrolment, planned_hours: int | None = None) -> tuple[Decimal, dict[str, int]]:
    """The share (in %) of the class's hours the trainee attended (present or late), and the hours attended."""
    if planned_hours is None:
        planned_hours = enrolment.klass.sessions.aggregate(h=Sum("hours"))["h"] or 0
    hours = attendance_totals([enrolment.pk]).get(enrolment.pk, {"theory": 0, "practice": 0})
    attended = hours["theory"] + hours["practice"]
    rate = Decimal(0) if not planned_hours else (Decimal(attended) * 100 / Decimal(planned_hours))
    return rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), hours


def completion_assess(*, actor: Any, enrolment: Enrolment, score: Decimal, assessed_on: date | None = None
                      ) -> Enrolment:
    """Pass or fail (结业考核): attendance ≥ the threshold and the score ≥ the class's pass mark. A pass earns the
    certificate; a fail enters the integrity file from the assessment day (MGMT-6)."""
    _require_staff(actor, enrolment.klass)
    score = Decimal(str(score))
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError(ERR_SCORE)
    assessed_on = assessed_on or timezone.localdate()
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().select_related(
            "teacher", "klass__project__plan", "klass__institution").get(pk=enrolment.pk)
        klass = enrolment.klass
        if klass.status != TrainingClass.Status.ENDED:
            raise ValidationError(ERR_CLASS_NOT_ENDED)
        if enrolment.status != Enrolment.Status.ENROLLED:
            raise ValidationError(ERR_NOT_ACTIVE)
        if enrolment.result != Enrolment.Result.PENDING:
            raise ValidationError(ERR_ALREADY_ASSESSED)
        rate, hours = attendance_rate(enrolment)
        threshold = Decimal(settings.DELIVERY_COMPLETION_ATTENDANCE_PERCENT)
        attendance_ok = rate >= threshold
        score_ok = score >= klass.pass_mark
        passed = attendance_ok and score_ok
        enrolment.result = Enrolment.Result.PASSED if passed else Enrolment.Result.FAILED
        enrolment.score, enrolment.attendance_rate = score, rate
        enrolment.criteria = {
            "attendance_rate": str(rate), "attendance_threshold": str(threshold), "attendance_ok": attendance_ok,
            "score": str(score), "pass_mark": str(klass.pass_mark), "score_ok": score_ok,
            "theory_hours": hours["theory"], "practice_hours": hours["practice"],
        }
        enrolment.assessed_on, enrolment.assessed_by = assessed_on, actor
        enrolment.full_clean()
        enrolment.save(update_fields=["result", "score", "attendance_rate", "criteria", "assessed_on",
                                      "assessed_by", "updated_at"])
        total = hours["theory"] + hours["practice"]
        detail: dict[str, Any] = {"passed": passed, **enrolment.criteria}
        if passed:
            participation = _participation_record(enrolment, Participation.Result.COMPLETED, klass.end_date, total,
                                                  hours["practice"])
            certificate = Certificate.objects.create(enrolment=enrolment, code=new_certificate_code(),
                                                     issued_on=assessed_on, hours=total,
                                                     practice_hours=hours["practice"])
            detail["certificate"] = certificate.code
            text = f"您已通过“{klass.name}”结业考核，结业证书可下载。"
        else:
            participation = _participation_record(enrolment, Participation.Result.NOT_COMPLETED, klass.end_date,
                                                  total, hours["practice"])
            reasons = [r for r, ok in (("出勤率不足", attendance_ok), ("考核成绩不合格", score_ok)) if not ok]
            entry = _integrity(enrolment, IntegrityEntry.Kind.FAILED, assessed_on,
                               f"结业考核不合格（{'、'.join(reasons)}）", actor, participation)
            detail["integrity_entry"] = entry.pk
            text = f"您未通过“{klass.name}”结业考核（{'、'.join(reasons)}）。"
        audit_record(actor=actor, action="delivery.completion_assess", obj=enrolment, detail=detail)
        notice_send(recipients=[enrolment.teacher.user_id], text=text, url=reverse("delivery:my_training"))
    return enrolment


def application_assess(*, actor: Any, enrolment: Enrolment, rating: str, comment: str = "",
                       today: date | None = None) -> Enrolment:
    """The sending unit assesses how a trainee applied what they learnt (成果应用考核, TRAINEE-1), some weeks after
    the class."""
    if enrolment.school_id not in school_ids_of(actor):
        raise PermissionDenied(ERR_APPLICATION_DENIED)
    if enrolment.result != Enrolment.Result.PASSED:
        raise ValidationError(ERR_APPLICATION_NOT_PASSED)
    today = today or timezone.localdate()
    days = settings.DELIVERY_APPLICATION_AFTER_DAYS
    opens = enrolment.klass.end_date + timedelta(days=days)
    if today < opens:
        raise ValidationError(ERR_APPLICATION_EARLY.format(days=days, day=f"{opens:%Y年%m月%d日}"))
    if rating not in Enrolment.Rating.values:
        raise ValidationError(ERR_STATUS)
    with transaction.atomic():
        enrolment.application_rating = rating
        enrolment.application_comment = (comment or "").strip()[:500]
        enrolment.application_assessed_at, enrolment.application_assessed_by = timezone.now(), actor
        enrolment.save(update_fields=["application_rating", "application_comment", "application_assessed_at",
                                      "application_assessed_by", "updated_at"])
        audit_record(actor=actor, action="delivery.application_assess", obj=enrolment,
                     detail={"rating": rating})
    return enrolment


# --- health and safety (TRAINEE-2) ---------------------------------------------------------------------------
def trainee_safety_update(*, actor: Any, enrolment: Enrolment, insurance_bought: bool, emergency_name: str,
                          emergency_relation: str, emergency_phone: str) -> Enrolment:
    """A trainee records whether they bought accident insurance (advised, never enforced) and an emergency
    contact, whose phone is stored encrypted."""
    teacher = teacher_for(actor)
    if teacher is None or teacher.pk != enrolment.teacher_id:
        raise PermissionDenied(ERR_SAFETY_DENIED)
    phone = "".join(ch for ch in (emergency_phone or "") if ch.isdigit() or ch == "-")
    if phone and not 7 <= len(phone.replace("-", "")) <= 15:
        raise ValidationError({"emergency_phone": ERR_PHONE})
    with transaction.atomic():
        if insurance_bought and not enrolment.insurance_bought:
            enrolment.insurance_recorded_at = timezone.now()
        enrolment.insurance_bought = insurance_bought
        enrolment.emergency_name = (emergency_name or "").strip()[:50]
        enrolment.emergency_relation = (emergency_relation or "").strip()[:20]
        enrolment.emergency_phone = pii_encrypt(phone) if phone else ""
        enrolment.save(update_fields=["insurance_bought", "insurance_recorded_at", "emergency_name",
                                      "emergency_relation", "emergency_phone", "updated_at"])
        audit_record(actor=actor, action="delivery.safety_update", obj=enrolment,
                     detail={"insurance_bought": insurance_bought, "emergency_contact": bool(phone)})
    return enrolment


def insurance_reminders_send(*, actor: Any = None, today: date | None = None,
                             klass: TrainingClass | None = None) -> int:
    """Remind trainees of classes starting within the reminder period who have not recorded insurance (once)."""
    today = today or timezone.localdate()
    if klass is not None:
        _require_staff(actor, klass)
    horizon = today + timedelta(days=settings.DELIVERY_INSURANCE_REMINDER_DAYS)
    qs = Enrolment.objects.filter(status=Enrolment.Status.ENROLLED, insurance_bought=False,
                                  insurance_reminded_at__isnull=True, klass__start_date__gte=today,
                                  klass__start_date__lte=horizon,
                                  klass__status=TrainingClass.Status.PLANNED).select_related("teacher", "klass")
    if klass is not None:
        qs = qs.filter(klass=klass)
    with transaction.atomic():
        rows = list(qs.select_for_update(of=("self",)))
        for enrolment in rows:
            notice_send(recipients=[enrolment.teacher.user_id],
                        text=f"“{enrolment.klass.name}”将于{enrolment.klass.start_date:%m月%d日}开班，建议您购买培训期间的"
                             f"人身意外伤害保险，并在“我的培训”中登记。",
                        url=reverse("delivery:enrolment_detail", args=[enrolment.pk]))
        Enrolment.objects.filter(pk__in=[e.pk for e in rows]).update(insurance_reminded_at=timezone.now())
        audit_record(actor=actor or "delivery_reminders", action="delivery.insurance_remind",
                     object_type="delivery.trainingclass", object_id=klass.pk if klass else "",
                     detail={"reminded": len(rows), "horizon": horizon.isoformat()})
    return len(rows)


@dataclass(frozen=True)
class IncidentInput:
    occurred_at: datetime
    place: str
    people: str
    severity: str
    description: str
    actions: str
    follow_up: str = ""
    enrolment_ids: tuple[int, ...] = ()


def incident_report(*, actor: Any, klass: TrainingClass, data: IncidentInput, is_demo: bool = False) -> Incident:
    """Report an incident (TRAINEE-2): the institution, the counties of the trainees involved and the province see
    it; severe ones are flagged on the province's home page and notified to its administrators."""
    _require_staff(actor, klass)
    with transaction.atomic():
        enrolments = list(Enrolment.objects.filter(klass=klass, pk__in=data.enrolment_ids))
        if len(enrolments) != len(set(data.enrolment_ids)):
            raise ValidationError(ERR_INCIDENT_TRAINEE)
        incident = Incident(klass=klass, occurred_at=data.occurred_at, place=data.place.strip(),
                            people=data.people.strip(), severity=data.severity, description=data.description.strip(),
                            actions=data.actions.strip(), follow_up=data.follow_up.strip(), reported_by=actor,
                            is_demo=is_demo)
        incident.full_clean()
        incident.save()
        IncidentPerson.objects.bulk_create([IncidentPerson(incident=incident, enrolment=e,
                                                           region_code=e.region_code) for e in enrolments])
        counties = sorted({e.region_code for e in enrolments})
        recipients = list(Membership.objects.filter(role=Role.COUNTY_ADMIN, region_id__in=counties, is_active=True)
                          .values_list("user_id", flat=True))
        if incident.is_severe:
            recipients += list(Membership.objects.filter(role=Role.PROVINCE_ADMIN, is_active=True)
                               .values_list("user_id", flat=True))
        notice_send(recipients=recipients,
                    text=f"“{klass.name}”发生{incident.get_severity_display()}安全事件：{incident.place}。",
                    url=reverse("delivery:incident_detail", args=[incident.pk]))
        audit_record(actor=actor, action="delivery.incident_report", obj=incident, region_code=klass.region_code,
                     detail={"severity": incident.severity, "trainees": [e.pk for e in enrolments]})
    return incident


def incident_follow_up(*, actor: Any, incident: Incident, follow_up: str, close: bool = False) -> Incident:
    """Record the follow-up of an incident, and close it when handled."""
    _require_staff(actor, incident.klass)
    follow_up = (follow_up or "").strip()
    if not follow_up:
        raise ValidationError(ERR_REASON)
    with transaction.atomic():
        incident.follow_up = follow_up[:2000]
        if close:
            incident.status = Incident.Status.CLOSED
        incident.save(update_fields=["follow_up", "status", "updated_at"])
        audit_record(actor=actor, action="delivery.incident_follow_up", obj=incident,
                     region_code=incident.klass.region_code, detail={"closed": close})
    return incident


# --- notices ------------------------------------------------------------------------------------------------
def notice_read(*, actor: Any, notice: Notice | None = None) -> int:
    """Mark one notice (or all of the user's) as read."""
    qs = Notice.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    if notice is not None:
        if notice.recipient_id != actor.pk:
            raise PermissionDenied(ERR_NOTICE_OWN)
        qs = qs.filter(pk=notice.pk)
    return qs.update(read_at=timezone.now())

