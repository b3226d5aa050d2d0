"""Pages for regions' schools, institutions, development centres, the expert pool and accounts.

Thin views: the role decorator answers 403, the selectors and access helpers scope every read (404 outside the
user's reach), and each write is one call to a service in services.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guopei.core.permissions import role_required

from . import services
from .forms import (
    AccountCreateForm,
    CentreForm,
    DisableForm,
    ExpertForm,
    InstitutionForm,
    MembershipForm,
    PasswordResetForm,
    SchoolForm,
    counties_in_reach,
)
from .models import DevelopmentCentre, Membership, Region, School
from .roles import ACCOUNT_MANAGER_ROLES, PROVINCE_ROLES, REGION_ADMIN_ROLES
from .scoping import has_role, user_covers_region
from .selectors import (
    access_account_for_user,
    access_institution_for_user,
    access_region_for_user,
    access_school_for_user,
    accounts_for_user,
    centres_for_user,
    experts_for_user,
    institutions_for_user,
    schools_for_user,
)

Role = Membership.Role
ORG_EDITOR_ROLES = services.ORG_EDITOR_ROLES


def _page(request: HttpRequest, qs: Any, per_page: int = 50) -> Page:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _add_errors(form: Form, exc: ValidationError) -> None:
    form.add_error(None, exc.messages)


def _centre_of(county: Region) -> DevelopmentCentre | None:
    try:
        return county.development_centre
    except DevelopmentCentre.DoesNotExist:
        return None


def _can_edit_school(user: Any, school: School) -> bool:
    return user_covers_region(user, school.county_id, ORG_EDITOR_ROLES)


# --- Schools ---------------------------------------------------------------------------------------------


@role_required(*REGION_ADMIN_ROLES)
def school_list(request: HttpRequest) -> HttpResponse:
    """Schools and kindergartens in the user's regions, searchable by name or code, by type and by county."""
    qs = schools_for_user(request.user)
    counties = counties_in_reach(request.user, REGION_ADMIN_ROLES)
    kind = request.GET.get("kind", "")
    if kind in School.Kind.values:
        qs = qs.filter(kind=kind)
    county = request.GET.get("county", "")
    if county and county in {c.code for c in counties}:
        qs = qs.filter(region_code=county)
    else:
        county = ""
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return render(request, "orgs/school_list.html", {
        "page": _page(request, qs), "kinds": School.Kind.choices, "kind": kind, "q": q,
        "counties": counties, "county": county, "can_create": has_role(request.user, *ORG_EDITOR_ROLES),
    })


@role_required(*REGION_ADMIN_ROLES, Role.SCHOOL_ADMIN)
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = access_school_for_user(request.user, pk)
    counts = dict(
        Membership.objects.filter(school=school, is_active=True).values_list("role").annotate(n=Count("id"))
    )
    centre = _centre_of(school.county)
    return render(request, "orgs/school_detail.html", {
        "school": school, "centre": centre,
        "admin_count": counts.get(Role.SCHOOL_ADMIN, 0), "teacher_count": counts.get(Role.TEACHER, 0),
        "can_edit": _can_edit_school(request.user, school),
    })


@role_required(*ORG_EDITOR_ROLES)
def school_create(request: HttpRequest) -> HttpResponse:
    form = SchoolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            school = services.school_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已新增：{school.name}")
            return redirect("orgs:school_detail", pk=school.pk)
    return render(request, "orgs/form.html", {"form": form, "title": "新增学校（幼儿园）",
                                              "back_url": reverse("orgs:school_list")})


@role_required(*ORG_EDITOR_ROLES)
def school_edit(request: HttpRequest, pk: int) -> HttpResponse:
    school = access_school_for_user(request.user, pk)
    if not _can_edit_school(request.user, school):
        raise Http404
    form = SchoolForm(request.POST or None, user=request.user, initial=SchoolForm.initial_for(school))
    if request.method == "POST" and form.is_valid():
        try:
            services.school_update(actor=request.user, school=school, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:school_detail", pk=school.pk)
    return render(request, "orgs/form.html", {"form": form, "title": f"修改：{school.name}",
                                              "back_url": reverse("orgs:school_detail", args=[school.pk])})


# --- Training institutions -------------------------------------------------------------------------------


@role_required(*REGION_ADMIN_ROLES, Role.EXPERT, Role.INSTITUTION_STAFF)
def institution_list(request: HttpRequest) -> HttpResponse:
    qs = institutions_for_user(request.user)
    remote = request.GET.get("remote") == "1"
    if remote:
        qs = qs.filter(on_remote_list=True)
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(name__contains=q)
    return render(request, "orgs/institution_list.html", {
        "page": _page(request, qs), "q": q, "remote": remote,
        "can_create": has_role(request.user, Role.PROVINCE_ADMIN),
    })


@role_required(*REGION_ADMIN_ROLES, Role.EXPERT, Role.INSTITUTION_STAFF)
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = access_institution_for_user(request.user, pk)
    is_province = has_role(request.user, *PROVINCE_ROLES)
    return render(request, "orgs/institution_detail.html", {
        "institution": institution,
        "staff_count": institution.memberships.filter(role=Role.INSTITUTION_STAFF, is_active=True).count(),
        # Conflict-of-interest links decide who may score a bid: the province manages the pool and sees them.
        "linked_experts": list(institution.linked_experts.all()) if is_province else None,
        "can_edit": has_role(request.user, Role.PROVINCE_ADMIN),
    })


@role_required(Role.PROVINCE_ADMIN)
def institution_create(request: HttpRequest) -> HttpResponse:
    form = InstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            institution = services.institution_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已新增：{institution.name}")
            return redirect("orgs:institution_detail", pk=institution.pk)
    return render(request, "orgs/form.html", {"form": form, "title": "新增培训机构",
                                              "back_url": reverse("orgs:institution_list")})


@role_required(Role.PROVINCE_ADMIN)
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    institution = access_institution_for_user(request.user, pk)
    form = InstitutionForm(request.POST or None, initial=InstitutionForm.initial_for(institution))
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_update(actor=request.user, institution=institution, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:institution_detail", pk=institution.pk)
    return render(request, "orgs/form.html", {"form": form, "title": f"修改：{institution.name}",
                                              "back_url": reverse("orgs:institution_detail", args=[institution.pk])})


# --- County teacher-development centres (MGMT-2) ---------------------------------------------------------


@role_required(*REGION_ADMIN_ROLES)
def centre_list(request: HttpRequest) -> HttpResponse:
    """Every county in reach with its development centre, so a missing centre shows as a gap to fill."""
    counties = counties_in_reach(request.user, REGION_ADMIN_ROLES).select_related("development_centre")
    return render(request, "orgs/centre_list.html", {
        "page": _page(request, counties, per_page=60),
        "centre_count": centres_for_user(request.user).count(),
        "can_edit": has_role(request.user, *ORG_EDITOR_ROLES),
    })


@role_required(*ORG_EDITOR_ROLES)
def centre_edit(request: HttpRequest, code: str) -> HttpResponse:
    county = access_region_for_user(request.user, code)
    if county.level not in {Region.Level.COUNTY, Region.Level.ZONE}:
        raise Http404
    centre = _centre_of(county)
    initial = {"name": centre.name, "director": centre.director} if centre else {"name": f"{county.name}教师发展中心"}
    form = CentreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.development_centre_upsert(actor=request.user, county=county, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:centre_list")
    return render(request, "orgs/form.html", {"form": form, "title": f"{county.full_name}教师发展中心",
                                              "back_url": reverse("orgs:centre_list")})


# --- The expert pool -------------------------------------------------------------------------------------


@role_required(*PROVINCE_ROLES)
def expert_list(request: HttpRequest) -> HttpResponse:
    qs = experts_for_user(request.user).prefetch_related("institutions").select_related("user")
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(name__contains=q) | Q(employer__contains=q) | Q(field__contains=q))
    return render(request, "orgs/expert_list.html", {"page": _page(request, qs), "q": q,
                                                     "can_edit": has_role(request.user, Role.PROVINCE_ADMIN)})


@role_required(Role.PROVINCE_ADMIN)
def expert_create(request: HttpRequest) -> HttpResponse:
    form = ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            expert = services.expert_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已加入专家库：{expert.name}")
            return redirect("orgs:expert_list")
    return render(request, "orgs/form.html", {"form": form, "title": "新增专家",
                                              "back_url": reverse("orgs:expert_list")})


@role_required(Role.PROVINCE_ADMIN)
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expert = get_object_or_404(experts_for_user(request.user), pk=pk)
    form = ExpertForm(request.POST or None, initial=ExpertForm.initial_for(expert))
    if request.method == "POST" and form.is_valid():
        try:
            services.expert_update(actor=request.user, expert=expert, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:expert_list")
    return render(request, "orgs/form.html", {"form": form, "title": f"修改专家：{expert.name}",
                                              "back_url": reverse("orgs:expert_list")})


# --- Accounts (MGMT-1: each level manages the accounts of the level below, in its region) ------------------


@role_required(*ACCOUNT_MANAGER_ROLES)
def account_list(request: HttpRequest) -> HttpResponse:
    qs: QuerySet[Any] = accounts_for_user(request.user).order_by("username")
    active = request.GET.get("active", "")
    if active == "0":
        qs = qs.filter(is_active=False)
    elif active == "1":
        qs = qs.filter(is_active=True)
    else:
        active = ""
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__contains=q))
    return render(request, "orgs/account_list.html", {"page": _page(request, qs), "q": q, "active": active})


@role_required(*ACCOUNT_MANAGER_ROLES)
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.account_create(
                actor=request.user, username=data["username"], full_name=data["full_name"],
                password=data["password1"], **form.place(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已开通账号：{account.username}")
            return redirect("orgs:account_detail", pk=account.pk)
    return render(request, "orgs/form.html", {"form": form, "title": "开通账号",
                                              "back_url": reverse("orgs:account_list")})


def _account_page(request: HttpRequest, account: Any, **forms: Form) -> HttpResponse:
    memberships = list(account.memberships.select_related("region__parent", "school", "institution"))
    rows = [(m, services.can_manage_membership(request.user, m)) for m in memberships]
    can_manage = services.can_manage_account(request.user, account)
    context = {
        "account": account, "rows": rows, "can_manage": can_manage,
        "grant_form": forms.get("grant_form") or MembershipForm(user=request.user),
        "reset_form": forms.get("reset_form") or PasswordResetForm(),
        "disable_form": DisableForm(),
    }
    return render(request, "orgs/account_detail.html", context)


@role_required(*ACCOUNT_MANAGER_ROLES)
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_page(request, access_account_for_user(request.user, pk))


@role_required(*ACCOUNT_MANAGER_ROLES)
@require_POST
def account_grant(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_account_for_user(request.user, pk)
    form = MembershipForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.membership_grant(actor=request.user, user=account, **form.place())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已授予角色。")
            return redirect("orgs:account_detail", pk=account.pk)
    return _account_page(request, account, grant_form=form)


@role_required(*ACCOUNT_MANAGER_ROLES)
@require_POST
def membership_revoke(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    account = access_account_for_user(request.user, pk)
    membership = get_object_or_404(account.memberships.select_related("school"), pk=membership_pk)
    try:
        services.membership_revoke(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已撤销角色：{membership}")
    return redirect("orgs:account_detail", pk=account.pk)


@role_required(*ACCOUNT_MANAGER_ROLES)
@require_POST
def account_disable(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_account_for_user(request.user, pk)
    form = DisableForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.account_disable(actor=request.user, user=account, reason=reason)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "账号已停用，其登录会话随即失效。")
    return redirect("orgs:account_detail", pk=account.pk)


@role_required(*ACCOUNT_MANAGER_ROLES)
@require_POST
def account_enable(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_account_for_user(request.user, pk)
    try:
        services.account_enable(actor=request.user, user=account)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "账号已启用。")
    return redirect("orgs:account_detail", pk=account.pk)


@role_required(*ACCOUNT_MANAGER_ROLES)
@require_POST
def account_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_account_for_user(request.user, pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.account_reset_password(actor=request.user, user=account, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "密码已重置，请通过安全渠道告知本人。")
            return redirect("orgs:account_detail", pk=account.pk)
    return _account_page(request, account, reset_form=form)

