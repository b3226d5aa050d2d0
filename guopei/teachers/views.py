"""Pages of the teacher database, reserve pool, integrity file, selection and nominations. Thin: forms, access
helpers, one service call, render or redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from guopei.core.audit import audit_record
from guopei.core.jobs import JobError
from guopei.core.permissions import role_required
from guopei.core.pii import pii_hash
from guopei.orgs.models import Membership, Region
from guopei.orgs.scoping import admin_region_codes, has_role, region_level, region_q, user_covers_region
from guopei.orgs.selectors import schools_for_user

from . import services
from .exports import selection_xlsx
from .forms import (
    CapForm,
    IntakeForm,
    OptionalNoteForm,
    ReasonForm,
    ReserveAddForm,
    ReserveForm,
    TeacherFilterForm,
    TransferForm,
    UploadForm,
)
from .history_import import HISTORY_COLUMNS, history_template
from .id_numbers import IdNumberError, normalise
from .listing import keyset_page, status_q
from .models import IntakeAssignment, Nomination, TeacherTransfer
from .roles import INTAKE_ROLES, REVEAL_ROLES, TEACHER_ADMIN_ROLES, TEACHER_VIEW_ROLES
from .roster_import import ROSTER_COLUMNS, roster_template
from .selection import REASONS_BY_CODE, selection_for
from .selectors import (
    access_integrity_entry_for_user,
    access_nomination_for_user,
    access_reserve_entry_for_user,
    access_teacher_for_user,
    access_transfer_for_user,
    cap_policies_for_user,
    effective_cap,
    integrity_entries_for_user,
    managed_teachers_for_user,
    nominations_for_user,
    reserve_entries_for_user,
    teachers_for_user,
    transfers_for_user,
)

Role = Membership.Role
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SELECTION_PAGE = 50


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- Teachers -----------------------------------------------------------------------------------------------------
@role_required(*TEACHER_VIEW_ROLES)
def teacher_list(request: HttpRequest) -> HttpResponse:
    """Teachers in the user's reach, in pinyin order, a fixed number of queries per page (keyset pagination)."""
    form = TeacherFilterForm(request.GET or None)
    qs = teachers_for_user(request.user)
    school = None
    if form.is_valid():
        data = form.cleaned_data
        if data.get("school"):
            school = schools_for_user(request.user).filter(pk=data["school"]).first()
            qs = qs.filter(school_id=school.pk if school else 0)
        if data.get("status"):
            qs = qs.filter(status_q(data["status"]))
        if data.get("segment"):
            qs = qs.filter(segment=data["segment"])
        if q := data.get("q", "").strip():
            qs = _search(qs, q)
    page = keyset_page(qs.select_related("school"), after=request.GET.get("after", ""),
                       before=request.GET.get("before", ""))
    return render(request, "teachers/teacher_list.html", {
        "form": form, "page": page, "school": school,
        "can_import": has_role(request.user, *TEACHER_ADMIN_ROLES),
    })


def _search(qs: Any, q: str) -> Any:
    """Exact ID number or phone (through the keyed hash), pinyin prefix, or name prefix."""
    compact = q.replace(" ", "")
    if len(compact) == 18 and compact[:17].isdigit():
        try:
            return qs.filter(id_hash=pii_hash(normalise(compact)))
        except IdNumberError:
            return qs.none()
    if len(compact) == 11 and compact.isdigit():
        return qs.filter(phone_hash=pii_hash(compact))
    if compact.isascii():
        # A range rather than LIKE 'x%': both databases walk the (name_pinyin, id) index for it.
        prefix = compact.lower()
        return qs.filter(name_pinyin__gte=prefix, name_pinyin__lt=prefix + "{")
    return qs.filter(name__startswith=compact)


def _teacher_context(request: HttpRequest, teacher: Any) -> dict[str, Any]:
    from django.db.models import Sum

    year = timezone.localdate().year
    return {
        "teacher": teacher,
        "participations": teacher.participations.order_by("-year", "pk"),
        "recognised": teacher.recognised_hours.order_by("-year"),
        "integrity": teacher.integrity_entries.select_related("annulled_by").order_by("-event_date"),
        "transfers": teacher.transfers.select_related("from_school", "to_school").order_by("-created_at"),
        "reserve": teacher.reserve_entries.select_related("category"),
        "nominations": teacher.nominations.select_related("project", "project__plan").order_by("-created_at"),
        "hours_this_year": (teacher.participations.filter(year=year, result="completed")
                            .aggregate(s=Sum("hours"))["s"] or 0)
        + (teacher.recognised_hours.filter(year=year).aggregate(s=Sum("hours"))["s"] or 0),
        "year": year,
        "today": timezone.localdate(),
        "can_reveal": services.can_reveal(request.user, teacher),
        "can_manage": user_covers_region(request.user, teacher.region_code, TEACHER_ADMIN_ROLES),
        "can_annul": has_role(request.user, Role.PROVINCE_ADMIN)
        or user_covers_region(request.user, teacher.region_code, [Role.COUNTY_ADMIN]),
    }


@login_required
def teacher_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One teacher (masked), with history, integrity file, transfers and nominations; 404 outside one's reach."""
    teacher = access_teacher_for_user(request.user, pk)
    return render(request, "teachers/teacher_detail.html", _teacher_context(request, teacher))


@role_required(Role.TEACHER)
def teacher_me(request: HttpRequest) -> HttpResponse:
    """A teacher's own record."""
    teacher = teachers_for_user(request.user).filter(user_id=request.user.pk or 0).select_related("school").first()
    if teacher is None:
        raise Http404("您的账号尚未关联教师信息")
    return render(request, "teachers/teacher_detail.html", _teacher_context(request, teacher))


@require_POST
@role_required(*REVEAL_ROLES)
def teacher_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Show one full ID number or phone to an allowed role; every reveal is an audit event (teachers.reveal)."""
    teacher = access_teacher_for_user(request.user, pk)
    try:
        value = services.teacher_reveal(actor=request.user, teacher=teacher, field=field)
    except ValidationError:
        raise Http404 from None
    return render(request, "teachers/_revealed.html", {"value": value, "field": field})


@role_required(*TEACHER_VIEW_ROLES)
def teacher_export(request: HttpRequest) -> HttpResponse:
    """Export as XLSX (a background job); unmasked only when the user ticks it and may reveal."""
    schools = schools_for_user(request.user)
    school = None
    if request.method == "POST":
        if request.POST.get("school"):
            school = schools.filter(pk=request.POST["school"]).first()
            if school is None:
                raise Http404
        unmasked = request.POST.get("unmasked") == "1" and request.POST.get("confirm") == "1"
        try:
            job = services.teachers_export_start(actor=request.user, school=school, unmasked=unmasked)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            return redirect("core:job_detail", job.pk)
    return render(request, "teachers/export.html", {
        "schools": schools.order_by("code")[:500], "can_unmask": services.can_export_unmasked(request.user),
    })


# --- Imports --------------------------------------------------------------------------------------------------------
def _import_page(request: HttpRequest, *, title: str, start: Any, template_url: str, columns: Any) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = start(actor=request.user, filename=upload.name, content=upload.read())
        except (JobError, PermissionDenied) as exc:
            messages.error(request, str(exc))
        else:
            return redirect("core:job_detail", job.pk)
    return render(request, "teachers/import.html", {"form": form, "title": title, "template_url": template_url,
                                                    "columns": columns})


@role_required(*TEACHER_ADMIN_ROLES)
def roster_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, title="导入教师名册", start=services.roster_import_start,
                        template_url=reverse("teachers:roster_template"), columns=ROSTER_COLUMNS)


@role_required(*TEACHER_ADMIN_ROLES)
def roster_template_download(request: HttpRequest) -> HttpResponse:
    return _xlsx(roster_template(), "教师名册模板.xlsx")


@role_required(*TEACHER_ADMIN_ROLES)
def history_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, title="导入参训历史与其他学时", start=services.history_import_start,
                        template_url=reverse("teachers:history_template"), columns=HISTORY_COLUMNS)


@role_required(*TEACHER_ADMIN_ROLES)
def history_template_download(request: HttpRequest) -> HttpResponse:
    return _xlsx(history_template(), "参训历史模板.xlsx")


# --- Transfers ------------------------------------------------------------------------------------------------------
@role_required(*TEACHER_ADMIN_ROLES)
def transfer_create(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = access_teacher_for_user(request.user, pk)
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_request(actor=request.user, teacher=teacher,
                                                 to_school=form.cleaned_data["school_code"],
                                                 reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            if transfer.status == TeacherTransfer.Status.ACCEPTED:
                messages.success(request, f"已调入{transfer.to_school.name}。")
            else:
                messages.success(request, "调动申请已提交，等待调入县区接收。")
            return redirect("teachers:teacher_detail", teacher.pk)
    return render(request, "teachers/form.html", {"form": form, "title": f"调动：{teacher.name}",
                                                  "back": reverse("teachers:teacher_detail", args=[teacher.pk])})


@role_required(*TEACHER_ADMIN_ROLES)
def transfer_list(request: HttpRequest) -> HttpResponse:
    qs = transfers_for_user(request.user)
    pending = qs.filter(status=TeacherTransfer.Status.PENDING)
    return render(request, "teachers/transfer_list.html", {
        "incoming": pending.filter(region_q(request.user, "to_region_code", TEACHER_ADMIN_ROLES))[:200],
        "outgoing": pending.filter(region_q(request.user, "from_region_code", TEACHER_ADMIN_ROLES))[:200],
        "recent": qs.order_by("-created_at")[:100],
    })


@require_POST
@role_required(*TEACHER_ADMIN_ROLES)
def transfer_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    transfer = access_transfer_for_user(request.user, pk)
    form = OptionalNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "accept":
            services.transfer_accept(actor=request.user, transfer=transfer)
            messages.success(request, "已接收调动。")
        elif decision == "reject":
            services.transfer_reject(actor=request.user, transfer=transfer, note=note)
            messages.success(request, "已拒绝调动。")
        elif decision == "cancel":
            services.transfer_cancel(actor=request.user, transfer=transfer)
            messages.success(request, "已撤回调动申请。")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("teachers:transfer_list")


# --- Integrity file -----------------------------------------------------------------------------------------------
@role_required(*TEACHER_VIEW_ROLES)
def integrity_list(request: HttpRequest) -> HttpResponse:
    qs = integrity_entries_for_user(request.user)
    today = timezone.localdate()
    state = request.GET.get("state", "active")
    if state == "active":
        qs = qs.filter(annulled_at__isnull=True, ban_until__gt=today)
    elif state == "annulled":
        qs = qs.filter(annulled_at__isnull=False)
    from django.core.paginator import Paginator

    page = Paginator(qs.order_by("-event_date", "-pk"), 50).get_page(request.GET.get("page"))
    return render(request, "teachers/integrity_list.html", {"page": page, "state": state, "today": today})


@role_required(Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)
def integrity_annul(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access_integrity_entry_for_user(request.user, pk)
    form = ReasonForm(request.POST or None)
    form.fields["reason"].label = "撤销理由（特殊情况说明）"
    if request.method == "POST" and form.is_valid():
        try:
            services.integrity_entry_annul(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, "已撤销该诚信档案记录。")
            return redirect("teachers:teacher_detail", entry.teacher_id)
    return render(request, "teachers/form.html", {
        "form": form,
        "title": f"撤销诚信档案记录：{entry.teacher.name} {entry.get_kind_display()}（{entry.event_date}）",
        "back": reverse("teachers:teacher_detail", args=[entry.teacher_id]),
    })


# --- Reserve pool -------------------------------------------------------------------------------------------------
@role_required(*TEACHER_ADMIN_ROLES)
def reserve_list(request: HttpRequest) -> HttpResponse:
    form = ReserveAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            digest = pii_hash(normalise(data["id_number"]))
        except IdNumberError as exc:
            form.add_error("id_number", str(exc))
        else:
            teacher = managed_teachers_for_user(request.user).filter(id_hash=digest).first()
            if teacher is None:
                form.add_error("id_number", "您管辖范围内没有此身份证号的教师。")
            else:
                try:
                    services.reserve_entry_add(actor=request.user, teacher=teacher, category=data["category"],
                                               priority=data["priority"], note=data["note"])
                except (ValidationError, PermissionDenied) as exc:
                    form.add_error(None, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
                else:
                    messages.success(request, f"已将{teacher.name}加入储备库。")
                    return redirect("teachers:reserve_list")
    from django.core.paginator import Paginator

    page = Paginator(reserve_entries_for_user(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "teachers/reserve_list.html", {"page": page, "form": form})


@role_required(*TEACHER_ADMIN_ROLES)
def reserve_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access_reserve_entry_for_user(request.user, pk)
    form = ReserveForm(request.POST or None, instance=entry)
    form.fields["category"].disabled = True
    if request.method == "POST":
        if request.POST.get("remove") == "1":
            services.reserve_entry_remove(actor=request.user, entry=entry)
            messages.success(request, "已移出储备库。")
            return redirect("teachers:reserve_list")
        if form.is_valid():
            services.reserve_entry_update(actor=request.user, entry=entry, priority=form.cleaned_data["priority"],
                                          note=form.cleaned_data["note"])
            messages.success(request, "已保存。")
            return redirect("teachers:reserve_list")
    return render(request, "teachers/form.html", {"form": form, "title": f"储备库：{entry.teacher.name}",
                                                  "back": reverse("teachers:reserve_list"), "removable": True})


# --- Participation cap ----------------------------------------------------------------------------------------------
@role_required(*TEACHER_ADMIN_ROLES)
def cap_policy(request: HttpRequest) -> HttpResponse:
    """The cycle and cap (MGMT-4): set by the province, tightened (never loosened) by a city or county."""
    codes = admin_region_codes(request.user, TEACHER_ADMIN_ROLES)
    region = Region.objects.filter(code=request.POST.get("region") or (codes[0] if codes else "")).first()
    if region is None or not user_covers_region(request.user, region.code, TEACHER_ADMIN_ROLES):
        raise Http404
    form = CapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.cap_policy_set(actor=request.user, region=region, cap=data["cap"],
                                    cycle_years=data.get("cycle_years"), cycle_start_year=data.get("cycle_start_year"),
                                    note=data["note"])
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, "参训次数上限已保存。")
            return redirect("teachers:cap_policy")
    regions = Region.objects.filter(code__in=codes)
    return render(request, "teachers/cap.html", {
        "form": form, "regions": regions, "rules": [(r, effective_cap(r.code)) for r in regions],
        "policies": cap_policies_for_user(request.user), "is_province": region_level(region.code) == "province",
    })


# --- Selection and nominations --------------------------------------------------------------------------------------
def _projects_for_user(user: Any) -> Any:
    from guopei.plans.selectors import projects_for_user

    return projects_for_user(user)


@role_required(*TEACHER_ADMIN_ROLES)
def selection_index(request: HttpRequest) -> HttpResponse:
    """Projects the user may select trainees for, with the quota of each of the user's counties."""
    from guopei.plans.models import Allocation

    projects = list(_projects_for_user(request.user).order_by("-plan__year", "code")[:200])
    allocations: dict[int, int] = {}
    county_shares = Allocation.objects.filter(region_q(request.user, "region_code", TEACHER_ADMIN_ROLES),
                                              project__in=[p.pk for p in projects], parent__isnull=False)
    for project_id, quota in county_shares.values_list("project_id", "quota"):
        allocations[project_id] = allocations.get(project_id, 0) + quota
    return render(request, "teachers/selection_index.html", {
        "rows": [(p, allocations.get(p.pk, 0)) for p in projects],
    })


def _selection_region(request: HttpRequest, project: Any) -> tuple[str, list[Region]]:
    """The county (or, for an overview, the city or province) the page looks at."""
    allocated = Region.objects.filter(level=Region.Level.COUNTY, code__in=project.allocations.values("region_id"))
    counties = [c for c in allocated if user_covers_region(request.user, c.code, TEACHER_ADMIN_ROLES)]
    wanted = request.GET.get("region") or request.POST.get("region") or ""
    if wanted:
        if not user_covers_region(request.user, wanted, TEACHER_ADMIN_ROLES):
            raise Http404
        return wanted, counties
    if counties:
        return counties[0].code, counties
    codes = admin_region_codes(request.user, TEACHER_ADMIN_ROLES)
    return (codes[0] if codes else ""), counties


@role_required(*TEACHER_ADMIN_ROLES)
def selection_result(request: HttpRequest, project_pk: int) -> HttpResponse:
    """Counts by reason and paged lists: the eligible ranked, the others with every reason (MGMT-4/5/6)."""
    from guopei.plans.models import Allocation
    from guopei.plans.selectors import access_project_for_user

    project = access_project_for_user(request.user, project_pk)
    region_code, counties = _selection_region(request, project)
    if not region_code:
        raise Http404
    selection = selection_for(project, region_code)
    counts = selection.counts()
    tab = request.GET.get("tab", "eligible")
    reason = request.GET.get("reason", "")
    try:
        page_number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page_number = 1
    start = (page_number - 1) * SELECTION_PAGE
    if tab == "ineligible":
        total = counts.get(f"reason_{reason}", 0) if reason in selection.reasons else counts["total"] - counts[
            "eligible"]
        rows = list(selection.ineligible(reason).select_related("school")[start:start + SELECTION_PAGE])
        listed = [(t, selection.reasons_of(t)) for t in rows]
    else:
        total = counts["eligible"]
        listed = [(t, []) for t in selection.eligible()[start:start + SELECTION_PAGE]]
    is_county = region_level(region_code) == "county"
    quota = 0
    nominations: list[Nomination] = []
    if is_county:
        quota = Allocation.objects.filter(project=project, region_id=region_code).values_list(
            "quota", flat=True).first() or 0
        nominations = list(nominations_for_user(request.user).filter(project=project, county_id=region_code)
                           .order_by("is_alternate", "rank", "pk"))
    taken = sum(1 for n in nominations if not n.is_alternate and n.status in ("proposed", "confirmed"))
    replaced = {n.substitute_for_id for n in nominations if n.substitute_for_id}
    substitutable = {n.pk for n in nominations if not n.is_alternate and n.pk not in replaced
                     and n.status in ("returned", "dismissed", "proposed")}
    reason_rows = [(r, counts.get(f"reason_{r.code}", 0)) for r in selection.active_reasons]
    return render(request, "teachers/selection_result.html", {
        "project": project, "selection": selection, "counts": counts, "reason_rows": reason_rows, "tab": tab,
        "reason": reason, "reason_label": REASONS_BY_CODE[reason].label if reason in REASONS_BY_CODE else "",
        "listed": listed, "page_number": page_number, "has_next": start + SELECTION_PAGE < total,
        "offset": start, "total": total, "counties": counties, "region_code": region_code,
        "region": Region.objects.filter(code=region_code).first(), "is_county": is_county, "quota": quota,
        "taken": taken, "nominations": nominations, "substitutable": substitutable,
        "can_export": region_level(region_code) != "province",
        "alternates": [n for n in nominations if n.is_alternate and n.status == "proposed"],
    })


@role_required(*TEACHER_ADMIN_ROLES)
def selection_export(request: HttpRequest, project_pk: int) -> HttpResponse:
    from guopei.plans.selectors import access_project_for_user

    project = access_project_for_user(request.user, project_pk)
    region_code, _ = _selection_region(request, project)
    if region_level(region_code) == "province":
        raise Http404("全省遴选结果请按市或县区导出")
    selection = selection_for(project, region_code)
    content = selection_xlsx(selection)
    audit_record(actor=request.user, action="teachers.selection_export", obj=project, region_code=region_code,
                 detail={"region": region_code})
    return _xlsx(content, f"遴选结果-{project.code}-{region_code}.xlsx")


@require_POST
@role_required(*TEACHER_ADMIN_ROLES)
def nominate(request: HttpRequest, project_pk: int) -> HttpResponse:
    from guopei.plans.selectors import access_project_for_user

    project = access_project_for_user(request.user, project_pk)
    region_code = request.POST.get("region", "")
    if region_level(region_code) != "county" or not user_covers_region(request.user, region_code,
                                                                       TEACHER_ADMIN_ROLES):
        raise Http404
    try:
        created = services.nomination_propose(actor=request.user, project=project, county_code=region_code,
                                              teacher_ids=request.POST.getlist("principal"),
                                              alternate_ids=request.POST.getlist("alternate"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        alternates = sum(1 for n in created if n.is_alternate)
        messages.success(request, f"已推荐{len(created) - alternates}人，候补{alternates}人。")
    return redirect(reverse("teachers:selection_result", args=[project.pk]) + f"?region={region_code}")


@role_required(*TEACHER_ADMIN_ROLES, *INTAKE_ROLES)
def nomination_list(request: HttpRequest) -> HttpResponse:
    """Nominations of the user's regions, or, for an institution, of the projects it receives."""
    qs = nominations_for_user(request.user).order_by("project__code", "region_code", "is_alternate", "rank", "pk")
    project_id = request.GET.get("project", "")
    if project_id.isdigit():
        qs = qs.filter(project_id=int(project_id))
    status = request.GET.get("status", "")
    if status in Nomination.Status.values:
        qs = qs.filter(status=status)
    from django.core.paginator import Paginator

    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "teachers/nomination_list.html", {
        "page": page, "is_institution": has_role(request.user, *INTAKE_ROLES),
        "statuses": Nomination.Status.choices, "status": status, "reason_form": ReasonForm(),
    })


@require_POST
@role_required(*INTAKE_ROLES)
def nomination_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    nomination = access_nomination_for_user(request.user, pk)
    reason = request.POST.get("reason", "")
    try:
        if decision == "confirm":
            services.nomination_confirm(actor=request.user, nomination=nomination)
            messages.success(request, f"已确认{nomination.teacher.name}。")
        elif decision == "return":
            services.nomination_return(actor=request.user, nomination=nomination, reason=reason)
            messages.success(request, f"已退回{nomination.teacher.name}。")
        elif decision == "dismiss":
            services.nomination_dismiss(actor=request.user, nomination=nomination, reason=reason)
            messages.success(request, f"已劝退{nomination.teacher.name}，并记入诚信档案。")
        else:
            raise Http404
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect(reverse("teachers:nomination_list") + f"?project={nomination.project_id}")


@require_POST
@role_required(*TEACHER_ADMIN_ROLES)
def nomination_substitute(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = access_nomination_for_user(request.user, pk)
    alternate = None
    if request.POST.get("alternate"):
        alternate = access_nomination_for_user(request.user, request.POST["alternate"])
    try:
        new = services.nomination_substitute(actor=request.user, nomination=nomination, alternate=alternate,
                                             teacher_id=request.POST.get("teacher"))
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"已由{new.teacher.name}替换{nomination.teacher.name}。")
    return redirect(reverse("teachers:selection_result", args=[nomination.project_id])
                    + f"?region={nomination.county_id}")


@role_required(Role.PROVINCE_ADMIN)
def intake_list(request: HttpRequest) -> HttpResponse:
    """The institution that receives each project's nominees (set by the province)."""
    from guopei.plans.selectors import access_project_for_user

    form = IntakeForm(request.POST or None, auto_id=False)
    if request.method == "POST":
        if request.POST.get("remove"):
            assignment = IntakeAssignment.objects.filter(pk=request.POST["remove"]).first()
            if assignment is None:
                raise Http404
            services.intake_unassign(actor=request.user, assignment=assignment)
            return redirect("teachers:intake_list")
        project = access_project_for_user(request.user, request.POST.get("project"))
        if form.is_valid():
            services.intake_assign(actor=request.user, project=project, institution=form.cleaned_data["institution"],
                                   county=form.cleaned_data["county"])
            messages.success(request, "已设置承训机构。")
            return redirect("teachers:intake_list")
    projects = _projects_for_user(request.user).order_by("-plan__year", "code").prefetch_related(
        "intake_assignments__institution", "intake_assignments__county")[:300]
    return render(request, "teachers/intake_list.html", {"projects": projects, "form": form})

