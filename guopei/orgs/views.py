from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from guopei.core.permissions import role_required

from .models import Membership, School
from .roles import ACCOUNT_MANAGER_ROLES, PROVINCE_ROLES, REGION_ADMIN_ROLES
from .selectors import accounts_for_user, experts_for_user, institutions_for_user, schools_for_user

Role = Membership.Role


def _page(request: HttpRequest, qs, per_page: int = 50):  # type: ignore[no-untyped-def]
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


@role_required(*REGION_ADMIN_ROLES)
def school_list(request: HttpRequest) -> HttpResponse:
    """Schools and kindergartens in the user's regions."""
    qs = schools_for_user(request.user)
    kind = request.GET.get("kind", "")
    if kind in School.Kind.values:
        qs = qs.filter(kind=kind)
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(name__contains=q)
    return render(request, "orgs/school_list.html", {"page": _page(request, qs), "kinds": School.Kind.choices,
                                                     "kind": kind, "q": q})


@role_required(*REGION_ADMIN_ROLES, Role.EXPERT, Role.INSTITUTION_STAFF)
def institution_list(request: HttpRequest) -> HttpResponse:
    qs = institutions_for_user(request.user)
    if request.GET.get("remote") == "1":
        qs = qs.filter(on_remote_list=True)
    return render(request, "orgs/institution_list.html", {"page": _page(request, qs)})


@role_required(*PROVINCE_ROLES)
def expert_list(request: HttpRequest) -> HttpResponse:
    qs = experts_for_user(request.user).prefetch_related("institutions")
    return render(request, "orgs/expert_list.html", {"page": _page(request, qs)})


@role_required(*ACCOUNT_MANAGER_ROLES)
def account_list(request: HttpRequest) -> HttpResponse:
    qs = accounts_for_user(request.user)
    if request.GET.get("active") == "0":
        qs = qs.filter(is_active=False)
    return render(request, "orgs/account_list.html", {"page": _page(request, qs)})
