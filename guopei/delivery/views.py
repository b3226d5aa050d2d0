"""Pages of delivery. Thin: parse the form, load the object through its access helper, call one service, render or
redirect. A role that must not use a page gets 403; an object out of the user's reach gets 404."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from guopei.core.audit import audit_record
from guopei.core.permissions import role_required
from guopei.core.uploads import file_response
from guopei.orgs.models import Membership, School
from guopei.orgs.scoping import has_role, institution_ids_of, school_ids_of
from guopei.teachers.models import IntegrityEntry

from . import services
from .checkin import checkin_path, current_slot, qr_svg, token_valid
from .documents import certificate_pdf, mask_name, participation_report, participation_rows
from .forms import (
    ATTENDANCE_CHOICES,
    ApplicationForm,
    CircumstanceForm,
    ClassForm,
    DecisionForm,
    DismissalForm,
    FollowUpForm,
    IncidentForm,
    LeaveForm,
    OfferingForm,
    RoundTwoForm,
    SafetyForm,
    SessionForm,
    VerifyForm,
)
from .models import (
    Attendance,
    Certificate,
    Decision,
    Enrolment,
    Incident,
    LeaveRequest,
    Offering,
    Seat,
    TrainingClass,
)
from .roles import (
    CIRCUMSTANCE_ROLES,
    CLASS_VIEW_ROLES,
    INCIDENT_ROLES,
    NOTICE_ROLES,
    PARTICIPATION_ROLES,
    PROGRESS_ROLES,
    STAFF_ROLES,
    TEACHER_ROLES,
)
from .selectors import (
    access_certificate_for_user,
    access_circumstance_for_user,
    access_class_for_user,
    access_dismissal_for_user,
    access_enrolment_for_user,
    access_incident_for_user,
    access_leave_request_for_user,
    access_managed_class_for_user,
    access_managed_session_for_user,
    access_offering_for_user,
    access_seat_for_user,
    circumstances_for_user,
    classes_for_user,
    enrolments_for_user,
    incidents_for_user,
    notices_for_user,
    offerings_for_user,
    project_progress,
    today_sessions_for_teacher,
)

Role = Membership.Role
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 50


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _run(request: HttpRequest, call: Any, success: str) -> bool:
    """Call a service; show its Chinese error on failure."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return False
    messages.success(request, success)
    return True


def _managed(request: HttpRequest, klass: TrainingClass) -> bool:
    return klass.institution_id in institution_ids_of(request.user)


# --- classes -------------------------------------------------------------------------------------------------
@role_required(*CLASS_VIEW_ROLES)
def class_list(request: HttpRequest) -> HttpResponse:
    """Classes in the user's reach with their trainee and session counts."""
    if has_role(request.user, Role.TEACHER) and not has_role(request.user, *[r for r in CLASS_VIEW_ROLES
                                                                             if r != Role.TEACHER]):
        return redirect("delivery:my_training")
    qs = classes_for_user(request.user).annotate(
        trainees=Count("enrolments", filter=Q(enrolments__status__in=["enrolled", "dismissed"]), distinct=True),
        n_sessions=Count("sessions", distinct=True),
    ).order_by("-start_date", "-pk")
    status = request.GET.get("status", "")
    if status in TrainingClass.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "delivery/class_list.html", {
        "page": page, "status": status, "statuses": TrainingClass.Status.choices,
        "can_create": has_role(request.user, Role.INSTITUTION_STAFF),
    })


def _award_choices(user: Any) -> list[tuple[str, str]]:
    from guopei.tenders.models import Award

    awards = (Award.objects.filter(institution_id__in=institution_ids_of(user), status=Award.Status.CONTRACTED)
              .select_related("project", "county").order_by("project__code", "county_id"))
    return [(str(a.pk), a.lot_label) for a in awards]


def _staff_choices(institution_ids: list[int]) -> list[tuple[str, str]]:
    rows = (Membership.objects.filter(role=Role.INSTITUTION_STAFF, institution_id__in=institution_ids, is_active=True)
            .select_related("user").order_by("user__username"))
    return [(str(m.user_id), m.user.display_name) for m in rows]


def _class_input(data: dict[str, Any]) -> services.ClassInput:
    head = None
    if data.get("head_teacher"):
        head = Membership.objects.filter(user_id=data["head_teacher"]).select_related("user").first()
    return services.ClassInput(name=data["name"], start_date=data["start_date"], end_date=data["end_date"],
                               venue=data["venue"], capacity=data["capacity"], form=data["form"],
                               head_teacher=head.user if head else None, pass_mark=data["pass_mark"])


@role_required(*STAFF_ROLES)
def class_create(request: HttpRequest) -> HttpResponse:
    """An institution opens a class of a project it won and signed (from the award's contract)."""
    from guopei.tenders.models import Award

    awards = _award_choices(request.user)
    form = ClassForm(request.POST or None, awards=awards, staff=_staff_choices(institution_ids_of(request.user)))
    if request.method == "POST" and form.is_valid():
        award = Award.objects.filter(pk=form.cleaned_data["award"],
                                     institution_id__in=institution_ids_of(request.user)).select_related(
            "project").first()
        if award is None:
            raise Http404
        try:
            klass = services.class_create(actor=request.user, project=award.project,
                                          institution_id=award.institution_id, county=award.county_id,
                                          data=_class_input(form.cleaned_data))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "班次已创建，可按课程方案生成课次。")
            return redirect("delivery:class_detail", klass.pk)
    return render(request, "delivery/class_form.html", {"form": form, "title": "新建班次", "no_awards": not awards})


@role_required(*STAFF_ROLES)
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    initial = {"name": klass.name, "start_date": klass.start_date, "end_date": klass.end_date, "venue": klass.venue,
               "capacity": klass.capacity, "form": klass.form, "head_teacher": klass.head_teacher_id or "",
               "pass_mark": klass.pass_mark}
    form = ClassForm(request.POST or None, initial=initial, editing=True,
                     staff=_staff_choices([klass.institution_id]))
    if request.method == "POST" and form.is_valid():
        try:
            services.class_update(actor=request.user, klass=klass, data=_class_input(form.cleaned_data))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "班次信息已保存。")
            return redirect("delivery:class_detail", klass.pk)
    return render(request, "delivery/class_form.html", {"form": form, "title": f"修改班次：{klass.name}",
                                                        "klass": klass})


@role_required(*CLASS_VIEW_ROLES)
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A class: sessions with their registers, trainees the user may see, offerings, leave, incidents."""
    klass = access_class_for_user(request.user, pk)
    managed = _managed(request, klass)
    sessions = list(klass.sessions.annotate(
        n_attended=Count("attendance", filter=Q(attendance__status__in=Attendance.ATTENDED))).order_by("order"))
    enrolments = enrolments_for_user(request.user).filter(klass=klass).order_by("teacher__name_pinyin", "pk")
    trainees = participation_rows(klass, enrolments)
    context: dict[str, Any] = {
        "klass": klass, "managed": managed, "sessions": sessions,
        "enrolments": list(zip(enrolments, trainees, strict=True)),
        "hours_planned": sum(s.hours for s in sessions),
        "hours_held": sum(s.hours for s in sessions if s.is_closed),
        "sessions_held": sum(1 for s in sessions if s.is_closed),
        "offerings": offerings_for_user(request.user).filter(klass=klass),
        "incidents": incidents_for_user(request.user).filter(klass=klass),
        "schools": School.objects.filter(pk__in=enrolments.values("school_id")).order_by("name"),
    }
    if managed:
        context["leave_requests"] = LeaveRequest.objects.filter(enrolment__klass=klass).select_related(
            "enrolment__teacher").order_by("status", "-created_at")[:50]
        context["round_two_form"] = RoundTwoForm()
    return render(request, "delivery/class_detail.html", context)


@require_POST
@role_required(*STAFF_ROLES)
def sessions_generate(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    try:
        count = services.sessions_generate(actor=request.user, klass=klass)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"已按课程方案生成{count}个课次。")
    return redirect("delivery:class_detail", klass.pk)


@require_POST
@role_required(*STAFF_ROLES)
def enrol_nominees(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    try:
        result = services.enrol_confirmed_nominees(actor=request.user, klass=klass)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        text = f"已编入{result['enrolled']}名已确认的推荐学员。"
        if result["left_over"]:
            text += f"另有{result['left_over']}人因班额已满未编入。"
        messages.success(request, text)
    return redirect("delivery:class_detail", klass.pk)


@require_POST
@role_required(*STAFF_ROLES)
def class_finish(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    try:
        result = services.class_finish(actor=request.user, klass=klass)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"已结班：未报到{result['no_show']}人，记入诚信档案{result['integrity_entries']}人，"
                                  f"已通知{result['sending_units']}个选派单位。")
    return redirect("delivery:class_detail", klass.pk)


@require_POST
@role_required(*STAFF_ROLES)
def insurance_remind(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    count = services.insurance_reminders_send(actor=request.user, klass=klass)
    messages.success(request, f"已向{count}名尚未登记保险的学员发送提醒。" if count else
                     "没有需要提醒的学员（仅在开班前提醒尚未登记保险的学员，每人一次）。")
    return redirect("delivery:class_detail", klass.pk)


@role_required(*STAFF_ROLES)
def completion(request: HttpRequest, pk: int) -> HttpResponse:
    """The completion assessment of a class: a score per trainee; attendance is computed from the registers."""
    klass = access_managed_class_for_user(request.user, pk)
    enrolments = list(klass.enrolments.filter(status=Enrolment.Status.ENROLLED).select_related("teacher")
                      .order_by("teacher__name_pinyin", "pk"))
    if request.method == "POST":
        done, failed = 0, []
        for enrolment in enrolments:
            raw = request.POST.get(f"score_{enrolment.pk}", "").strip()
            if not raw or enrolment.result != Enrolment.Result.PENDING:
                continue
            try:
                services.completion_assess(actor=request.user, enrolment=enrolment, score=Decimal(raw))
                done += 1
            except ValidationError as exc:
                failed.append(f"{enrolment.teacher.name}：{_errors(exc)}")
            except (ArithmeticError, ValueError, InvalidOperation):
                failed.append(f"{enrolment.teacher.name}：{services.ERR_SCORE}")
        if done:
            messages.success(request, f"已完成{done}名学员的结业考核。")
        for line in failed:
            messages.error(request, line)
        return redirect("delivery:completion", klass.pk)
    planned = klass.sessions.aggregate(h=Sum("hours"))["h"] or 0
    rows = []
    totals = services.attendance_totals([e.pk for e in enrolments])
    for enrolment in enrolments:
        hours = totals.get(enrolment.pk, {"theory": 0, "practice": 0})
        attended = hours["theory"] + hours["practice"]
        rows.append((enrolment, attended, round(attended * 100 / planned, 1) if planned else 0))
    from django.conf import settings

    return render(request, "delivery/completion.html", {
        "klass": klass, "rows": rows, "planned": planned,
        "threshold": settings.DELIVERY_COMPLETION_ATTENDANCE_PERCENT,
    })


@role_required(*PARTICIPATION_ROLES, *STAFF_ROLES)
def school_report(request: HttpRequest, pk: int, school_pk: int) -> HttpResponse:
    """The participation report of one sending unit for one class (XLSX, TRAINEE-1)."""
    klass = access_class_for_user(request.user, pk)
    school = School.objects.filter(pk=school_pk).first()
    if school is None:
        raise Http404
    visible = enrolments_for_user(request.user).filter(klass=klass, school=school)
    if not visible.exists():
        raise Http404
    if has_role(request.user, Role.SCHOOL_ADMIN) and school.pk not in school_ids_of(request.user) and not (
            _managed(request, klass) or has_role(request.user, Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE,
                                                 Role.CITY_ADMIN, Role.COUNTY_ADMIN)):
        raise Http404
    audit_record(actor=request.user, action="delivery.report_download", obj=klass,
                 detail={"school": school.pk})
    return _download(participation_report(klass, school.pk), f"{klass.name}-{school.name}-参训情况.xlsx", XLSX)


# --- sessions, registers and the QR code ---------------------------------------------------------------------
@role_required(*STAFF_ROLES)
def session_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff see who checked in, mark the rest, move the session, and close the register."""
    session = access_managed_session_for_user(request.user, pk)
    enrolments = list(session.klass.enrolments.filter(status=Enrolment.Status.ENROLLED)
                      .select_related("teacher", "school").order_by("teacher__name_pinyin", "pk"))
    records = {a.enrolment_id: a for a in session.attendance.all()}
    if request.method == "POST" and request.POST.get("action") == "mark":
        marks = {}
        for enrolment in enrolments:
            value = request.POST.get(f"status_{enrolment.pk}", "")
            current = records.get(enrolment.pk)
            if value and (current is None or current.status != value):
                marks[enrolment.pk] = value
        if marks:
            _run(request, lambda: services.attendance_mark(actor=request.user, session=session, marks=marks),
                 f"已登记{len(marks)}名学员的考勤。")
        return redirect("delivery:session_register", session.pk)
    if request.method == "POST" and request.POST.get("action") == "close":
        _run(request, lambda: services.register_close(actor=request.user, session=session), "本课次考勤已关闭。")
        return redirect("delivery:session_register", session.pk)
    form = SessionForm(request.POST or None, initial={"day": session.date, "start_time": session.start_time,
                                                      "end_time": session.end_time, "venue": session.venue})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _run(request, lambda: services.session_update(actor=request.user, session=session, day=data["day"],
                                                         start_time=data["start_time"], end_time=data["end_time"],
                                                         venue=data["venue"]), "课次时间已调整。"):
            return redirect("delivery:session_register", session.pk)
    rows = [(e, records.get(e.pk)) for e in enrolments]
    return render(request, "delivery/session_register.html", {
        "session": session, "klass": session.klass, "rows": rows, "choices": ATTENDANCE_CHOICES, "form": form,
    })


@role_required(*STAFF_ROLES)
def session_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The page shown on the room's screen: the QR code refreshes itself every rotation period."""
    from django.conf import settings

    session = access_managed_session_for_user(request.user, pk)
    return render(request, "delivery/session_qr.html", {
        "session": session, "klass": session.klass, "rotation": settings.DELIVERY_QR_ROTATION_SECONDS,
        **_qr_context(request, session),
    })


def _qr_context(request: HttpRequest, session: Any) -> dict[str, Any]:
    now = timezone.now()
    url = request.build_absolute_uri(checkin_path(session.pk, now))
    svg = qr_svg(url).replace('width="', 'data-w="').replace('height="', 'data-h="', 1)
    return {"qr_svg": svg, "qr_url": url, "checked_in": session.attendance.filter(
        status__in=Attendance.ATTENDED).count(), "now": now}


@role_required(*STAFF_ROLES)
def session_qr_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR fragment the room page polls (htmx)."""
    session = access_managed_session_for_user(request.user, pk)
    return render(request, "delivery/_qr.html", {"session": session, **_qr_context(request, session)})


@role_required(*TEACHER_ROLES)
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """What the phone opens after scanning: a confirmation page, then the check-in (POST)."""
    from .models import Session

    session = Session.objects.select_related("klass").filter(pk=pk).first()
    if session is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    try:
        slot = int(source.get("s", ""))
    except ValueError:
        slot = -1
    token = source.get("t", "")
    if request.method == "POST":
        try:
            record = services.checkin(actor=request.user, session=session, slot=slot, token=token)
        except ValidationError as exc:
            return render(request, "delivery/checkin.html", {"session": session, "error": _errors(exc)}, status=400)
        except PermissionDenied as exc:
            return render(request, "delivery/checkin.html", {"session": session, "error": str(exc)}, status=403)
        return render(request, "delivery/checkin.html", {"session": session, "record": record})
    valid = token_valid(session.pk, slot, token, current_slot(timezone.now()))
    return render(request, "delivery/checkin.html", {
        "session": session, "slot": slot, "token": token,
        "error": "" if valid else services.ERR_TOKEN,
    }, status=200 if valid else 400)


# --- self-selection --------------------------------------------------------------------------------------------
@role_required(*CLASS_VIEW_ROLES)
def offering_list(request: HttpRequest) -> HttpResponse:
    """A teacher's phone page of offerings to choose from (with their own seats); staff see their offerings."""
    teacher = services.teacher_for(request.user)
    qs = offerings_for_user(request.user).order_by("status", "opens_at", "pk")
    if teacher is not None and not has_role(request.user, Role.INSTITUTION_STAFF, Role.PROVINCE_ADMIN):
        qs = qs.filter(status=Offering.Status.OPEN)
    seats = {}
    if teacher is not None:
        seats = {s.offering_id: s for s in Seat.objects.filter(teacher=teacher, status__in=Seat.ACTIVE)}
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "delivery/offering_list.html", {
        "page": page, "seats": seats, "teacher": teacher, "now": timezone.now(),
        "waitlist_position": _waitlist_positions(list(seats.values())),
    })


def _waitlist_positions(seats: list[Seat]) -> dict[int, int]:
    positions = {}
    for seat in seats:
        if seat.status == Seat.Status.WAITLISTED:
            positions[seat.offering_id] = Seat.objects.filter(
                offering_id=seat.offering_id, status=Seat.Status.WAITLISTED).filter(
                Q(queued_at__lt=seat.queued_at) | Q(queued_at=seat.queued_at, pk__lt=seat.pk)).count() + 1
    return positions


@require_POST
@role_required(*TEACHER_ROLES)
def seat_take(request: HttpRequest, pk: int) -> HttpResponse:
    offering = access_offering_for_user(request.user, pk)
    try:
        seat = services.seat_take(actor=request.user, offering=offering)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except services.NotOffered:
        raise Http404 from None
    else:
        messages.success(request, f"已选上“{offering.title}”。" if seat.status == Seat.Status.HELD
                         else f"“{offering.title}”名额已满，您已进入候补，有人退选时自动递补。")
    return redirect("delivery:offering_list")


@require_POST
@role_required(*TEACHER_ROLES)
def seat_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    seat = access_seat_for_user(request.user, pk)
    try:
        services.seat_cancel(actor=request.user, seat=seat)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, f"已退选“{seat.offering.title}”。")
    return redirect((request.POST.get("next") == "me" and "delivery:my_training") or "delivery:offering_list")


@role_required(*STAFF_ROLES)
def offering_create(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    form = OfferingForm(request.POST or None, initial={"title": klass.name, "capacity": klass.capacity})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.OfferingInput(title=d["title"], capacity=d["capacity"], opens_at=d["opens_at"],
                                      closes_at=d["closes_at"], region_code=d["region_code"],
                                      min_enrolment=d["min_enrolment"], description=d["description"])
        if _run(request, lambda: services.offering_create(actor=request.user, klass=klass, data=data),
                "选学项目已发布。"):
            return redirect("delivery:class_detail", klass.pk)
    return render(request, "delivery/offering_form.html", {"form": form, "klass": klass})


@role_required(*STAFF_ROLES)
def offering_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offering = access_offering_for_user(request.user, pk)
    if not _managed(request, offering.klass):
        raise Http404
    seats = offering.seats.select_related("teacher", "teacher__school").order_by("status", "queued_at", "pk")
    return render(request, "delivery/offering_detail.html", {"offering": offering, "seats": seats})


@require_POST
@role_required(*STAFF_ROLES)
def offering_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    offering = access_offering_for_user(request.user, pk)
    if not _managed(request, offering.klass):
        raise Http404
    if action == "close":
        _run(request, lambda: services.offering_close(actor=request.user, offering=offering), "选学项目已截止。")
    elif action == "cancel":
        _run(request, lambda: services.offering_cancel(actor=request.user, offering=offering,
                                                       reason=request.POST.get("reason", "")),
             "选学项目已取消，已通知相关教师。")
    else:
        raise Http404
    return redirect("delivery:offering_detail", offering.pk)


@require_POST
@role_required(*STAFF_ROLES)
def selection_rounds(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """End round 1 (close full offerings, cancel under-subscribed ones) or open round 2 for a class's offerings."""
    klass = access_managed_class_for_user(request.user, pk)
    offerings = list(klass.offerings.filter(status=Offering.Status.OPEN, round=1))
    if step == "finish":
        try:
            result = services.selection_round_finish(actor=request.user, offerings=offerings)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"第一轮结束：满员截止{result['closed']}个，人数不足取消{result['cancelled']}个，"
                                      f"留待第二轮{result['kept']}个。")
    elif step == "two":
        form = RoundTwoForm(request.POST)
        if form.is_valid():
            _run(request, lambda: services.selection_round_two_open(
                actor=request.user, offerings=offerings, opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"]), "第二轮选学已开放。")
        else:
            messages.error(request, "请填写第二轮的开放和截止时间。")
    else:
        raise Http404
    return redirect("delivery:class_detail", klass.pk)


# --- the teacher's own pages -------------------------------------------------------------------------------------
@role_required(*TEACHER_ROLES)
def my_training(request: HttpRequest) -> HttpResponse:
    """A teacher's phone home for training: today's sessions, classes, seats, certificates, integrity file."""
    teacher = services.teacher_for(request.user)
    if teacher is None:
        raise Http404(services.ERR_NOT_TEACHER)
    enrolments = (Enrolment.objects.filter(teacher=teacher).exclude(status=Enrolment.Status.CANCELLED)
                  .select_related("klass", "klass__institution", "certificate").order_by("-klass__start_date"))
    seats = (Seat.objects.filter(teacher=teacher, status__in=Seat.ACTIVE).select_related("offering")
             .order_by("queued_at"))
    return render(request, "delivery/my_training.html", {
        "teacher": teacher, "enrolments": enrolments, "seats": seats,
        "today": today_sessions_for_teacher(teacher.pk),
        "integrity": IntegrityEntry.objects.filter(teacher=teacher).order_by("-event_date"),
        "notices": notices_for_user(request.user)[:10],
        "on": timezone.localdate(),
    })


@role_required(*CLASS_VIEW_ROLES)
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A trainee's record in a class: attendance, result, safety; the forms each role may use."""
    enrolment = access_enrolment_for_user(request.user, pk)
    own = enrolment.teacher.user_id == request.user.pk
    managed = _managed(request, enrolment.klass)
    attendance = {a.session_id: a for a in enrolment.attendance.all()}
    sessions = [(s, attendance.get(s.pk)) for s in enrolment.klass.sessions.order_by("order")]
    if managed:
        audit_record(actor=request.user, action="delivery.emergency_contact_view", obj=enrolment,
                     detail={"teacher": enrolment.teacher_id}) if enrolment.emergency_phone else None
    return render(request, "delivery/enrolment_detail.html", {
        "enrolment": enrolment, "klass": enrolment.klass, "own": own, "managed": managed, "sessions": sessions,
        "is_school": enrolment.school_id in school_ids_of(request.user),
        "safety_form": SafetyForm(initial={"insurance_bought": enrolment.insurance_bought,
                                           "emergency_name": enrolment.emergency_name,
                                           "emergency_relation": enrolment.emergency_relation}) if own else None,
        "leave_form": LeaveForm() if own else None,
        "application_form": ApplicationForm(),
        "leaves": enrolment.leave_requests.all(),
        "circumstances": enrolment.circumstances.all(),
    })


@require_POST
@role_required(*TEACHER_ROLES)
def safety_update(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment_for_user(request.user, pk)
    form = SafetyForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.trainee_safety_update(actor=request.user, enrolment=enrolment,
                                           insurance_bought=d["insurance_bought"], emergency_name=d["emergency_name"],
                                           emergency_relation=d["emergency_relation"],
                                           emergency_phone=d["emergency_phone"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, "保险和紧急联系人已登记。")
    return redirect("delivery:enrolment_detail", enrolment.pk)


@require_POST
@role_required(*TEACHER_ROLES)
def leave_file(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment_for_user(request.user, pk)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写请假日期和事由。")
    else:
        d = form.cleaned_data
        try:
            services.leave_request_file(actor=request.user, enrolment=enrolment, from_date=d["from_date"],
                                        to_date=d["to_date"], reason=d["reason"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, "请假申请已提交，等待承训机构审批。")
    return redirect("delivery:enrolment_detail", enrolment.pk)


@require_POST
@role_required(*STAFF_ROLES)
def leave_decide(request: HttpRequest, pk: int) -> HttpResponse:
    leave = access_leave_request_for_user(request.user, pk)
    if not _managed(request, leave.enrolment.klass):
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        _run(request, lambda: services.leave_request_decide(actor=request.user, leave=leave, approve=approve,
                                                            note=form.cleaned_data["note"]),
             "已批准请假。" if approve else "已驳回请假。")
    return redirect(reverse("delivery:class_detail", args=[leave.enrolment.klass_id]) + "#leave")


@require_POST
@role_required(*STAFF_ROLES)
def enrolment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment_for_user(request.user, pk)
    if not _managed(request, enrolment.klass):
        raise Http404
    _run(request, lambda: services.enrolment_mark_no_show(actor=request.user, enrolment=enrolment),
         "已登记为未报到；结班时如无经批准的特殊情况将记入诚信档案。")
    return redirect("delivery:enrolment_detail", enrolment.pk)


@role_required(*STAFF_ROLES)
def enrolment_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment_for_user(request.user, pk)
    if not _managed(request, enrolment.klass):
        raise Http404
    form = DismissalForm(request.POST or None, request.FILES or None,
                         initial={"dismissed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if _run(request, lambda: services.enrolment_dismiss(actor=request.user, enrolment=enrolment,
                                                            reason=d["reason"], evidence=d["evidence"],
                                                            dismissed_on=d["dismissed_on"]),
                "已劝退，并记入该教师的诚信档案（三年内不得参训）。"):
            return redirect("delivery:enrolment_detail", enrolment.pk)
    return render(request, "delivery/dismiss_form.html", {"form": form, "enrolment": enrolment})


@role_required(Role.TEACHER, Role.SCHOOL_ADMIN)
def circumstance_file(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment_for_user(request.user, pk)
    form = CircumstanceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.circumstance_file(actor=request.user, enrolment=enrolment, kind=d["kind"],
                                       description=d["description"], evidence=d.get("evidence"))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, "特殊情况已提交，等待县级审批。")
            return redirect("delivery:enrolment_detail", enrolment.pk)
    return render(request, "delivery/circumstance_form.html", {"form": form, "enrolment": enrolment})


@require_POST
@role_required(Role.SCHOOL_ADMIN)
def application_assess(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access_enrolment_for_user(request.user, pk)
    form = ApplicationForm(request.POST)
    if form.is_valid():
        try:
            services.application_assess(actor=request.user, enrolment=enrolment, rating=form.cleaned_data["rating"],
                                        comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, "成果应用考核已登记。")
    return redirect("delivery:enrolment_detail", enrolment.pk)


# --- special circumstances, dismissals -----------------------------------------------------------------------------
@role_required(*CIRCUMSTANCE_ROLES)
def circumstance_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "pending")
    qs = circumstances_for_user(request.user)
    if state in Decision.values:
        qs = qs.filter(status=state)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "delivery/circumstance_list.html", {
        "page": page, "state": state, "states": Decision.choices,
        "can_decide": has_role(request.user, Role.COUNTY_ADMIN), "form": DecisionForm(),
    })


@require_POST
@role_required(Role.COUNTY_ADMIN)
def circumstance_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_circumstance_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.circumstance_decide(actor=request.user, item=item, approve=approve,
                                         note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, "已批准特殊情况。" if approve else "已驳回特殊情况。")
    return redirect("delivery:circumstance_list")


@role_required(*CIRCUMSTANCE_ROLES)
def circumstance_evidence(request: HttpRequest, pk: int) -> Any:
    item = access_circumstance_for_user(request.user, pk)
    if not item.evidence:
        raise Http404
    return file_response(request, item.evidence, content_type=item.evidence_mime, filename=item.evidence_name,
                         as_attachment=True)


@role_required(*CLASS_VIEW_ROLES)
def dismissal_evidence(request: HttpRequest, pk: int) -> Any:
    dismissal = access_dismissal_for_user(request.user, pk)
    return file_response(request, dismissal.evidence, content_type=dismissal.evidence_mime,
                         filename=dismissal.evidence_name, as_attachment=True)


# --- certificates --------------------------------------------------------------------------------------------------
@role_required(*CLASS_VIEW_ROLES)
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = access_certificate_for_user(request.user, pk)
    verify = request.build_absolute_uri(reverse("verify:certificate", args=[certificate.code]))
    audit_record(actor=request.user, action="delivery.certificate_download", obj=certificate,
                 region_code=certificate.enrolment.region_code, detail={"code": certificate.code})
    return _download(certificate_pdf(certificate, verify),
                     f"结业证书-{certificate.enrolment.teacher.name}-{certificate.code}.pdf", "application/pdf")


def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    """Public: check a certificate's code. Shows only the masked name, the class, the hours and the date."""
    form = VerifyForm(request.GET or None)
    if not code and form.is_valid():
        return redirect("verify:certificate", form.cleaned_data["code"].strip().upper())
    certificate = None
    if code:
        certificate = (Certificate.objects.filter(code=code.strip().upper())
                       .select_related("enrolment__teacher", "enrolment__klass__institution",
                                       "enrolment__klass__project").first())
    context = {"form": form, "code": code, "certificate": certificate,
               "masked_name": mask_name(certificate.enrolment.teacher.name) if certificate else ""}
    return render(request, "delivery/verify.html", context, status=404 if code and certificate is None else 200)


# --- sending units (TRAINEE-1) ---------------------------------------------------------------------------------------
@role_required(*PARTICIPATION_ROLES)
def participation(request: HttpRequest) -> HttpResponse:
    """Each school sees its teachers' participation; counties and cities see their region's."""
    qs = (enrolments_for_user(request.user).exclude(status=Enrolment.Status.CANCELLED)
          .select_related("teacher", "school", "klass", "klass__institution", "certificate")
          .order_by("-klass__start_date", "teacher__name_pinyin", "pk"))
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "delivery/participation.html", {"page": page})


# --- incidents (TRAINEE-2) -----------------------------------------------------------------------------------------
@role_required(*INCIDENT_ROLES)
def incident_list(request: HttpRequest) -> HttpResponse:
    qs = incidents_for_user(request.user).annotate(n_people=Count("persons")).order_by("-occurred_at", "-pk")
    if request.GET.get("severe") == "1":
        qs = qs.filter(severity__in=Incident.SEVERE_LEVELS)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "delivery/incident_list.html", {"page": page, "severe": request.GET.get("severe") == "1"})


@role_required(*STAFF_ROLES)
def incident_create(request: HttpRequest, pk: int) -> HttpResponse:
    klass = access_managed_class_for_user(request.user, pk)
    trainees = [(str(e.pk), e.teacher.name) for e in klass.enrolments.exclude(
        status=Enrolment.Status.CANCELLED).select_related("teacher").order_by("teacher__name_pinyin")]
    form = IncidentForm(request.POST or None, trainees=trainees,
                        initial={"occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.IncidentInput(occurred_at=d["occurred_at"], place=d["place"], people=d["people"],
                                      severity=d["severity"], description=d["description"], actions=d["actions"],
                                      follow_up=d["follow_up"], enrolment_ids=tuple(int(x) for x in d["trainees"]))
        try:
            incident = services.incident_report(actor=request.user, klass=klass, data=data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "安全事件已报告。")
            return redirect("delivery:incident_detail", incident.pk)
    return render(request, "delivery/incident_form.html", {"form": form, "klass": klass})


@role_required(*INCIDENT_ROLES)
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access_incident_for_user(request.user, pk)
    managed = _managed(request, incident.klass)
    form = FollowUpForm(request.POST or None, initial={"follow_up": incident.follow_up})
    if request.method == "POST":
        if not managed:
            raise PermissionDenied
        if form.is_valid() and _run(request, lambda: services.incident_follow_up(
                actor=request.user, incident=incident, follow_up=form.cleaned_data["follow_up"],
                close=form.cleaned_data["close"]), "跟进情况已保存。"):
            return redirect("delivery:incident_detail", incident.pk)
    persons = incident.persons.select_related("enrolment__teacher", "enrolment__school")
    return render(request, "delivery/incident_detail.html", {"incident": incident, "managed": managed,
                                                             "form": form, "persons": persons})


# --- progress (COURSE-5) and notices -------------------------------------------------------------------------------
@role_required(*PROGRESS_ROLES)
def progress(request: HttpRequest) -> HttpResponse:
    """Execution progress per project: sessions held vs planned, hours delivered (COURSE-5)."""
    rows = project_progress(classes_for_user(request.user))
    return render(request, "delivery/progress.html", {"rows": rows})


@login_required
@role_required(*NOTICE_ROLES)
def notice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notices_for_user(request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "delivery/notice_list.html", {"page": page})


@require_POST
@role_required(*NOTICE_ROLES)
def notice_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    notice = None
    if pk is not None:
        notice = notices_for_user(request.user).filter(pk=pk).first()
        if notice is None:
            raise Http404
    services.notice_read(actor=request.user, notice=notice)
    if notice is not None and notice.url.startswith("/"):
        return redirect(notice.url)
    return redirect("delivery:notice_list")
