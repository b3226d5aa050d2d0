"""Scoped reads of the ten-year summary, the access helpers, and what the public column may show.

A city administrator sees their own city's submission and items; the province administrator sees every
city's. Nobody else uses these pages. An item of another city is a 404, and the attempt is audited
("summary.access_denied"). The public column reads only what the province featured.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Q, QuerySet
from django.http import Http404

from guopei.core.audit import audit_record
from guopei.orgs.models import Membership, Region
from guopei.orgs.scoping import memberships_with, scope_by_region

from .deadlines import summary_year
from .models import Material, RecommendationPackage, Submission, TraineeOutcome, TypicalCase

Role = Membership.Role
SUMMARY_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN)
M = TypeVar("M", Material, TypicalCase, TraineeOutcome, Submission, RecommendationPackage)


def own_city_code(user: Any) -> str | None:
    """The city a city administrator works for (the first, if they hold several)."""
    cities = sorted(m.region_code for m in memberships_with(user, [Role.CITY_ADMIN]))
    return cities[0] if cities else None


def cities() -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.CITY).order_by("code")


def submissions_for_user(user: Any) -> QuerySet[Submission]:
    if not getattr(user, "is_authenticated", False):
        return Submission.objects.none()
    return scope_by_region(Submission.objects.select_related("city", "reviewed_by"), user, roles=SUMMARY_ROLES)


def materials_for_user(user: Any) -> QuerySet[Material]:
    if not getattr(user, "is_authenticated", False):
        return Material.objects.none()
    return scope_by_region(
        Material.objects.select_related("city", "county", "school", "submission"), user, roles=SUMMARY_ROLES
    )


def cases_for_user(user: Any) -> QuerySet[TypicalCase]:
    if not getattr(user, "is_authenticated", False):
        return TypicalCase.objects.none()
    return scope_by_region(
        TypicalCase.objects.select_related("city", "county", "school", "submission"), user, roles=SUMMARY_ROLES
    )


def outcomes_for_user(user: Any) -> QuerySet[TraineeOutcome]:
    if not getattr(user, "is_authenticated", False):
        return TraineeOutcome.objects.none()
    return scope_by_region(
        TraineeOutcome.objects.select_related("city", "county", "school", "submission", "material"),
        user, roles=SUMMARY_ROLES,
    )


def packages_for_user(user: Any) -> QuerySet[RecommendationPackage]:
    """Recommendation packages are the province's own work."""
    if not getattr(user, "is_authenticated", False):
        return RecommendationPackage.objects.none()
    return scope_by_region(RecommendationPackage.objects.select_related("job", "created_by"), user,
                           roles=[Role.PROVINCE_ADMIN])


def _access(user: Any, qs: QuerySet[M], pk: Any, label: str) -> M:
    """Return the object from the user's scope; otherwise audit the attempt (if it exists) and raise 404."""
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        pass
    try:
        target = qs.model.objects.filter(pk=pk).values("pk", "region_code").first()
    except (ValueError, TypeError):
        target = None
    if target is not None:
        audit_record(actor=user, action="summary.access_denied", object_type=qs.model._meta.label_lower,
                     object_id=target["pk"], region_code=target["region_code"], detail={"what": label})
    raise Http404("不在您的管理范围内")


def access_submission_for_user(user: Any, pk: Any) -> Submission:
    return _access(user, submissions_for_user(user), pk, "submission")


def access_material_for_user(user: Any, pk: Any) -> Material:
    """Return the material if it belongs to the user's city (or the user is the province), else 404."""
    return _access(user, materials_for_user(user), pk, "material")


def access_case_for_user(user: Any, pk: Any) -> TypicalCase:
    return _access(user, cases_for_user(user), pk, "case")


def access_outcome_for_user(user: Any, pk: Any) -> TraineeOutcome:
    return _access(user, outcomes_for_user(user), pk, "outcome")


def access_package_for_user(user: Any, pk: Any) -> RecommendationPackage:
    return _access(user, packages_for_user(user), pk, "package")


def city_submission(city_code: str, year: int | None = None) -> Submission | None:
    return Submission.objects.select_related("city").filter(city_id=city_code, year=year or summary_year()).first()


# --- The public column (SUMMARY-2) ------------------------------------------------------------------------
def _search(qs: QuerySet[Any], q: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    if not q:
        return qs
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": q})
    return qs.filter(condition)


def public_materials(q: str = "", kind: str = "") -> QuerySet[Material]:
    qs = Material.objects.filter(is_featured=True).select_related("city", "county")
    if kind:
        qs = qs.filter(kind=kind)
    return _search(qs, q, ("title", "caption", "project_name")).order_by("-featured_at", "-id")


def public_cases(q: str = "") -> QuerySet[TypicalCase]:
    qs = TypicalCase.objects.filter(is_featured=True).select_related("city", "county")
    return _search(qs, q, ("title", "background", "highlights", "effects", "project_name")).order_by(
        "-featured_at", "-id"
    )


def public_outcomes(q: str = "") -> QuerySet[TraineeOutcome]:
    qs = TraineeOutcome.objects.filter(is_featured=True).select_related("city", "county", "material")
    return _search(qs, q, ("title", "summary", "project_name")).order_by("-featured_at", "-id")


PUBLIC_NOT_FOUND = "没有找到这项内容，它可能尚未公开或已撤下。"


def _public_denied(user: Any, obj: Any) -> Http404:
    """Audit a public request for something not published, and return the 404 to raise."""
    actor = user if getattr(user, "is_authenticated", False) else "匿名访问"
    audit_record(actor=actor, action="summary.public_access_denied", obj=obj, detail={"reason": "not_featured"})
    return Http404(PUBLIC_NOT_FOUND)


def public_material_or_404(user: Any, public_id: Any) -> Material:
    """A featured material by its public id; anything else is 404, and a request for an unpublished one is
    audited."""
    material = Material.objects.filter(public_id=public_id).first()
    if material is None:
        raise Http404(PUBLIC_NOT_FOUND)
    if not material.is_featured:
        raise _public_denied(user, material)
    return material


def public_case_or_404(user: Any, pk: Any) -> TypicalCase:
    case = TypicalCase.objects.select_related("city", "county").filter(pk=pk).first()
    if case is None:
        raise Http404(PUBLIC_NOT_FOUND)
    if not case.is_featured:
        raise _public_denied(user, case)
    return case


def public_outcome_or_404(user: Any, pk: Any) -> TraineeOutcome:
    outcome = TraineeOutcome.objects.select_related("city", "county", "material").filter(pk=pk).first()
    if outcome is None:
        raise Http404(PUBLIC_NOT_FOUND)
    if not outcome.is_featured:
        raise _public_denied(user, outcome)
    return outcome
