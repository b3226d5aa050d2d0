"""Pages of credit hours (MGMT-3) and IT 2.0 progress (PLAN-5).

A teacher sees their own transcript and submits other training with evidence; the county administrator audits
the county's queue (one by one or in bulk); administrators read records and totals of their regions, a school
administrator those of the school; institution staff see the records of their classes. Every object is loaded
through an access helper (out of reach is a 404); every write is one service call.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from guopei.core.permissions import role_required
from guopei.core.uploads import file_response
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role, school_ids_of
from guopei.teachers.models import Teacher
from guopei.teachers.roles import TEACHER_ADMIN_ROLES
from guopei.teachers.selectors import access_teacher_for_user

from . import charts, exports, it20, services
from .forms import HourRecordForm, RecordFilterForm, RejectForm, SchoolHourRecordForm, YearForm
from .models import HourRecord
from .requirements import annual_hours_required, cycle_for, it20_min_hours, it20_min_practice_hours
from .selectors import (
    access_ended_class_for_user,
    access_hour_record_for_user,
    access_queued_record_for_user,
    audit_queue_for_user,
    current_year,
    ended_classes_for_user,
    hour_records_for_user,
    own_teacher,
    totals_teachers_for_user,
    transcript_for,
    with_totals,
)

Role = Membership.Role
TEACHER = Role.TEACHER
COUNTY = Role.COUNTY_ADMIN
RECORD_ROLES = (*TEACHER_ADMIN_ROLES, Role.SCHOOL_ADMIN, Role.INSTITUTION_STAFF)
TOTALS_ROLES = (*TEACHER_ADMIN_ROLES, Role.SCHOOL_ADMIN)
PAGE_SIZE = 50
ERR_NO_TEACHER_RECORD = "您的账号尚未关联教师档案，请联系学校管理员在教师名册中关联后再申报学时。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request: HttpRequest, qs: QuerySet[Any], per_page: int = PAGE_SIZE) -> Any:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _year(request: HttpRequest, default: int | None = None) -> int:
    try:
        year = int(request.GET.get("year") or 0)
    except ValueError:
        year = 0
    return year if 2010 <= year <= 2100 else (default or current_year())


def _year_options(year: int) -> list[int]:
    years = set(range(current_year(), current_year() - 10, -1)) | {year}
    return sorted(years, reverse=True)


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


def _next(request: HttpRequest, default: str) -> str:
    """Where to go back to after a decision: a path on this site only."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@role_required(*RECORD_ROLES, TEACHER)
def index(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work is."""
    user = request.user
    if has_role(user, COUNTY):
        return redirect("credits:audit_queue")
    if has_role(user, Role.INSTITUTION_STAFF):
        return redirect("credits:class_list")
    if has_role(user, *RECORD_ROLES):
        return redirect("credits:record_list")
    return redirect("credits:my_transcript")


# --- The teacher's own ----------------------------------------------------------------------------------------
def _own_teacher_or_none(request: HttpRequest) -> Teacher | None:
    return own_teacher(request.user)


@role_required(TEACHER)
def my_transcript(request: HttpRequest) -> HttpResponse:
    """The signed-in teacher's transcript, their records with the county's decisions, and the submit link."""
    teacher = _own_teacher_or_none(request)
    if teacher is None:
        return render(request, "credits/my_transcript.html", {"teacher": None, "error": ERR_NO_TEACHER_RECORD})
    year = _year(request)
    records = (HourRecord.objects.filter(teacher=teacher).select_related("decided_by")
               .order_by("-year", "-submitted_at", "-id"))
    return render(request, "credits/my_transcript.html", {
        "teacher": teacher, "t": transcript_for(teacher, year), "year": year, "records": _page(request, records),
        "year_options": _year_options(year),
    })


@role_required(TEACHER)
def my_transcript_pdf(request: HttpRequest) -> HttpResponse:
    teacher = _own_teacher_or_none(request)
    if teacher is None:
        raise Http404(ERR_NO_TEACHER_RECORD)
    year = _year(request)
    return _download(exports.transcript_pdf(transcript_for(teacher, year)), f"学分档案_{teacher.name}_{year}.pdf",
                     "application/pdf")


@role_required(TEACHER)
def record_create(request: HttpRequest) -> HttpResponse:
    """A teacher submits other training (school-based, self-study, other) with evidence (MGMT-3)."""
    teacher = _own_teacher_or_none(request)
    if teacher is None:
        return render(request, "credits/my_transcript.html", {"teacher": None, "error": ERR_NO_TEACHER_RECORD})
    form = HourRecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        record = _submit(request, form, teacher)
        if record is not None:
            messages.success(request, f"已提交“{record.title}”{record.total_hours}学时，等待县级审核。")
            return redirect("credits:my_transcript")
    return render(request, "credits/record_form.html", {"form": form, "teacher": teacher, "tab": "my"})


def _submit(request: HttpRequest, form: HourRecordForm, teacher: Teacher) -> HourRecord | None:
    """Call the submission service with the form's data; its refusals become the form's errors."""
    data = form.cleaned_data
    upload = data["evidence"]
    try:
        return services.hour_record_submit(
            actor=request.user, teacher=teacher, year=data["year"], kind=data["kind"], title=data["title"],
            organiser=data["organiser"], started_on=data["started_on"], ended_on=data["ended_on"],
            theory_hours=data["theory_hours"], practice_hours=data["practice_hours"], is_it20=data["is_it20"],
            note=data["note"], evidence=upload, evidence_filename=upload.name if upload else "",
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    return None


@role_required(Role.SCHOOL_ADMIN)
def school_record_create(request: HttpRequest) -> HttpResponse:
    """A school administrator submits other training (e.g. the school's own school-based study) for one of
    the school's teachers, with evidence (MGMT-3)."""
    teachers = Teacher.objects.filter(school_id__in=school_ids_of(request.user, [Role.SCHOOL_ADMIN]),
                                      status=Teacher.Status.ACTIVE).order_by("name_pinyin", "pk")
    form = SchoolHourRecordForm(request.POST or None, request.FILES or None, teachers=teachers)
    if request.method == "POST" and form.is_valid():
        teacher = form.cleaned_data["teacher"]
        record = _submit(request, form, teacher)
        if record is not None:
            messages.success(request, f"已为{teacher.name}提交“{record.title}”{record.total_hours}学时，等待县级审核。")
            return redirect("credits:record_list")
    return render(request, "credits/record_form.html", {"form": form, "teacher": None, "tab": "records"})


# --- Records ----------------------------------------------------------------------------------------------------
@role_required(*RECORD_ROLES)
def record_list(request: HttpRequest) -> HttpResponse:
    """Hour records in the user's reach, filtered by year, status, type and teacher name."""
    form = RecordFilterForm(request.GET or None)
    qs = hour_records_for_user(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("year"):
            qs = qs.filter(year=data["year"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("q"):
            qs = qs.filter(teacher__name__contains=data["q"].strip())
    return render(request, "credits/record_list.html", {"form": form, "page": _page(request, qs),
                                                        "is_school": has_role(request.user, Role.SCHOOL_ADMIN)})


def _can_audit(request: HttpRequest, record: HourRecord) -> bool:
    try:
        access_queued_record_for_user(request.user, record.pk)
    except Http404:
        return False
    return True


@role_required(*RECORD_ROLES, TEACHER)
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_hour_record_for_user(request.user, pk)
    can_audit = record.is_pending and _can_audit(request, record)
    return render(request, "credits/record_detail.html", {
        "record": record, "can_audit": can_audit, "reject_form": RejectForm(),
    })


@role_required(*RECORD_ROLES, TEACHER)
def record_evidence(request: HttpRequest, pk: int) -> Any:
    """Stream the evidence after the access check; out of reach is a 404."""
    record = access_hour_record_for_user(request.user, pk)
    if not record.evidence:
        raise Http404
    return file_response(request, record.evidence, content_type=record.evidence_type or "application/octet-stream",
                         filename=record.evidence_name or "证明材料")


@require_POST
@role_required(COUNTY)
def record_approve(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_queued_record_for_user(request.user, pk)
    try:
        record = services.hour_record_approve(actor=request.user, record=record)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"已认定 {record.teacher.name}“{record.title}”{record.total_hours}学时，"
                                  f"折合{record.credits}学分。")
    return redirect(_next(request, reverse("credits:audit_queue")))


@require_POST
@role_required(COUNTY)
def record_reject(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_queued_record_for_user(request.user, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.ERR_REJECT_REASON)
        return redirect("credits:record_detail", pk=record.pk)
    try:
        services.hour_record_reject(actor=request.user, record=record, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("credits:record_detail", pk=record.pk)
    messages.success(request, f"已退回 {record.teacher.name}“{record.title}”，报送人可看到退回理由。")
    return redirect(_next(request, reverse("credits:audit_queue")))


# --- The county's audit queue -----------------------------------------------------------------------------
@role_required(COUNTY)
def audit_queue(request: HttpRequest) -> HttpResponse:
    """The county's pending records, oldest first, with bulk approval of the selected ones (MGMT-3)."""
    qs = audit_queue_for_user(request.user)
    kind = request.GET.get("kind", "")
    if kind in HourRecord.Kind.values:
        qs = qs.filter(kind=kind)
    return render(request, "credits/audit_queue.html", {
        "page": _page(request, qs), "kind": kind, "kinds": HourRecord.Kind.choices,
        "reject_form": RejectForm(),
    })


@require_POST
@role_required(COUNTY)
def audit_bulk_approve(request: HttpRequest) -> HttpResponse:
    try:
        ids = [int(v) for v in request.POST.getlist("ids")]
    except ValueError:
        raise Http404 from None
    # Only records of the user's own counties can be named; anything else is out of reach.
    in_reach = set(audit_queue_for_user(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    try:
        result = services.hour_records_bulk_approve(actor=request.user, record_ids=sorted(in_reach))
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied:
        raise Http404 from None
    else:
        note = f"，{result.skipped}条已被他人审核" if result.skipped else ""
        messages.success(request, f"已批量认定{len(result.approved)}条学时记录{note}。")
    return redirect(_next(request, reverse("credits:audit_queue")))


# --- Classes: the institution submits hours from attendance ---------------------------------------------------
@role_required(Role.INSTITUTION_STAFF)
def class_list(request: HttpRequest) -> HttpResponse:
    """The institution's ended classes: trainees who passed, hours submitted and recognised (MGMT-3)."""
    return render(request, "credits/class_list.html", {"page": _page(request, ended_classes_for_user(request.user))})


@require_POST
@role_required(Role.INSTITUTION_STAFF)
def class_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a class's hours for the county's audit: one record per trainee who passed, from attendance."""
    klass = access_ended_class_for_user(request.user, pk)
    try:
        result = services.hours_submit_for_class(training_class=klass, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied:
        raise Http404 from None
    else:
        skipped = f"，{result.skipped}人此前已报送" if result.skipped else ""
        messages.success(request, f"已报送“{klass.name}”{len(result.created)}名学员的学时{skipped}，等待各县审核。")
    return redirect("credits:class_list")


# --- Totals and transcripts of teachers -------------------------------------------------------------------------
@role_required(*TOTALS_ROLES)
def teacher_totals(request: HttpRequest) -> HttpResponse:
    """Teachers of the user's reach with this year's recognised hours and the cycle's (MGMT-3)."""
    form = YearForm(request.GET or None)
    year = _year(request)
    qs = totals_teachers_for_user(request.user).filter(status=Teacher.Status.ACTIVE)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(name__contains=q)
    page = _page(request, qs.order_by("region_code", "school_id", "name_pinyin", "pk"))
    rows = list(with_totals(Teacher.objects.filter(pk__in=[t.pk for t in page.object_list]), year)
                .select_related("school").order_by("region_code", "school_id", "name_pinyin", "pk"))
    return render(request, "credits/teacher_totals.html", {
        "form": form, "page": page, "rows": rows, "year": year, "cycle": cycle_for(year),
        "required": annual_hours_required(),
    })


@role_required(*TOTALS_ROLES)
def teacher_transcript(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = access_teacher_for_user(request.user, pk)
    year = _year(request)
    return render(request, "credits/teacher_transcript.html", {
        "teacher": teacher, "t": transcript_for(teacher, year), "year": year, "year_options": _year_options(year),
    })


@role_required(*TOTALS_ROLES)
def teacher_transcript_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = access_teacher_for_user(request.user, pk)
    year = _year(request)
    return _download(exports.transcript_pdf(transcript_for(teacher, year)), f"学分档案_{teacher.name}_{year}.pdf",
                     "application/pdf")


# --- IT 2.0 progress (PLAN-5) -----------------------------------------------------------------------------------
def _it20_year(request: HttpRequest) -> tuple[int, list[int]]:
    years = it20.it20_years()
    return _year(request, years[0] if years else None), years


def _it20_context(year: int, years: list[int], heading: str, export: str | None = "", **extra: Any) -> dict[str, Any]:
    export_url = f"{reverse('credits:it20_export')}?year={year}{export}" if export is not None else ""
    return {"year": year, "years": years, "heading": heading, "export_url": export_url,
            "min_hours": it20_min_hours(), "min_practice": it20_min_practice_hours(), **extra}


@role_required(*it20.IT20_VIEW_ROLES)
def it20_overview(request: HttpRequest) -> HttpResponse:
    """Province and city: progress per county with a chart; a county goes to its schools, a school to itself."""
    year, years = _it20_year(request)
    user = request.user
    if not has_role(user, Role.PROVINCE_ADMIN, Role.CITY_ADMIN):
        if has_role(user, COUNTY):
            codes = sorted(c.code for c in it20.county_progress(user, year).counties)
            if codes:
                return redirect(f"{reverse('credits:it20_county', args=[codes[0]])}?year={year}")
        else:
            schools = school_ids_of(user, [Role.SCHOOL_ADMIN])
            if schools and it20.it20_teachers(year).filter(school_id=schools[0]).exists():
                return redirect(f"{reverse('credits:it20_school', args=[schools[0]])}?year={year}")
        return render(request, "credits/it20_overview.html",
                      _it20_context(year, years, f"信息技术2.0整校推进进度 · {year}年", None, overview=None))
    overview = it20.county_progress(user, year)
    css = charts.chart_height(len(overview.counties))
    chart_list = [
        {"id": "chart-county", "title": "各县（市、区）教师达标情况", "css": css,
         "options": charts.progress_bars("各县（市、区）教师达标情况", overview.counties)},
        {"id": "chart-county-share", "title": "各县（市、区）达标率", "css": css,
         "options": charts.share_bars("各县（市、区）达标率", overview.counties)},
    ]
    return render(request, "credits/it20_overview.html",
                  _it20_context(year, years, f"信息技术2.0整校推进进度 · {year}年", "", overview=overview,
                                charts=chart_list))


@role_required(*it20.IT20_REGION_ROLES)
def it20_county(request: HttpRequest, code: str) -> HttpResponse:
    """One IT 2.0 county: per-school progress and whole-school completion, with a chart."""
    year, years = _it20_year(request)
    county = it20.access_it20_county_for_user(request.user, year, code)
    schools = it20.school_progress(it20.it20_teachers_for_user(request.user, year).filter(region_code=code), year)
    total = it20.Progress(code=code, name=county.name)
    for s in schools:
        total.add(s)
    chart_list = [
        {"id": "chart-school", "title": "各学校（幼儿园）教师达标情况", "css": charts.chart_height(len(schools)),
         "options": charts.progress_bars("各学校（幼儿园）教师达标情况", schools)},
    ]
    return render(request, "credits/it20_county.html",
                  _it20_context(year, years, f"信息技术2.0进度 · {county.name} · {year}年", f"&county={code}",
                                county=county, schools=schools, total=total, charts=chart_list))


@role_required(*it20.IT20_VIEW_ROLES)
def it20_school(request: HttpRequest, pk: int) -> HttpResponse:
    """One school's teachers with their IT 2.0 hours and practice hours against 50 / 25."""
    year, years = _it20_year(request)
    school = it20.access_it20_school_for_user(request.user, year, pk)
    teachers = it20.it20_teachers(year).filter(school=school)
    rows = it20.with_it20_hours(teachers, year).order_by("name_pinyin", "pk")
    progress = it20.school_progress(teachers, year)
    return render(request, "credits/it20_school.html", _it20_context(
        year, years, f"信息技术2.0进度 · {school.name} · {year}年", f"&school={school.pk}", school=school,
        page=_page(request, rows),
        progress=progress[0] if progress else it20.Progress(code=str(school.pk), name=school.name),
        can_county=has_role(request.user, *it20.IT20_REGION_ROLES),
    ))


@role_required(*it20.IT20_VIEW_ROLES)
def it20_export(request: HttpRequest) -> HttpResponse:
    """XLSX: per school for the user's reach; with ?county= the county's teachers, with ?school= the school's."""
    year, _years = _it20_year(request)
    user = request.user
    if request.GET.get("school"):
        school = it20.access_it20_school_for_user(user, year, request.GET["school"])
        content = exports.it20_teachers_xlsx(it20.it20_teachers(year).filter(school=school), year, school.name)
        return _download(content, f"信息技术2.0进度_{school.name}_{year}.xlsx", XLSX)
    if request.GET.get("county"):
        if not has_role(user, *it20.IT20_REGION_ROLES):
            raise PermissionDenied
        county = it20.access_it20_county_for_user(user, year, request.GET["county"])
        teachers = it20.it20_teachers_for_user(user, year).filter(region_code=county.code)
        content = exports.it20_teachers_xlsx(teachers, year, county.name)
        return _download(content, f"信息技术2.0进度_{county.name}_{year}.xlsx", XLSX)
    if not has_role(user, *it20.IT20_REGION_ROLES):
        raise PermissionDenied
    overview = it20.county_progress(user, year)
    schools = it20.school_progress(it20.it20_teachers_for_user(user, year), year)
    return _download(exports.it20_schools_xlsx(overview, schools), f"信息技术2.0整校推进进度_{year}.xlsx", XLSX)
