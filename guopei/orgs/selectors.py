"""Scoped reads of regions, organisations and accounts, and the access helpers that return one or 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import DevelopmentCentre, Expert, Institution, Membership, Region, School, User
from .roles import ACCOUNT_MANAGER_ROLES, PROVINCE_ROLES
from .scoping import has_role, institution_ids_of, region_q, roles_of, school_ids_of

Role = Membership.Role


def regions_for_user(user: Any) -> QuerySet[Region]:
    """Regions the user administers, and the parents needed to name them."""
    if not user.is_authenticated:
        return Region.objects.none()
    return Region.objects.filter(region_q(user, "code")).select_related("parent")


def schools_for_user(user: Any) -> QuerySet[School]:
    """Schools in the user's regions, plus the schools they administer or teach at."""
    if not user.is_authenticated:
        return School.objects.none()
    own = school_ids_of(user, [Role.SCHOOL_ADMIN, Role.TEACHER])
    return School.objects.filter(region_q(user) | Q(pk__in=own)).select_related("county", "county__parent")


def institutions_for_user(user: Any) -> QuerySet[Institution]:
    """The directory of institutions: every administrator sees it; institution staff see their own."""
    if not user.is_authenticated:
        return Institution.objects.none()
    qs = Institution.objects.select_related("region")
    if roles_of(user) & {Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.COUNTY_ADMIN,
                         Role.EXPERT}:
        return qs
    return qs.filter(pk__in=institution_ids_of(user))


def centres_for_user(user: Any) -> QuerySet[DevelopmentCentre]:
    return DevelopmentCentre.objects.filter(region_q(user)).select_related("county")


def experts_for_user(user: Any) -> QuerySet[Expert]:
    """The expert pool is managed by the province; an expert sees their own entry."""
    if has_role(user, *PROVINCE_ROLES):
        return Expert.objects.all()
    return Expert.objects.filter(user=user) if user.is_authenticated else Expert.objects.none()


def accounts_for_user(user: Any) -> QuerySet[User]:
    """Accounts the user manages: those holding a membership inside the user's reach, below the user's level."""
    if not user.is_authenticated or not roles_of(user) & ACCOUNT_MANAGER_ROLES:
        return User.objects.none()
    memberships = Membership.objects.filter(
        region_q(user, roles=[Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN])
        | Q(school_id__in=school_ids_of(user), role=Role.TEACHER)
    )
    if not has_role(user, Role.PROVINCE_ADMIN):
        # Nobody but the province manages province-level or institution accounts.
        memberships = memberships.exclude(role__in=[*PROVINCE_ROLES, Role.INSTITUTION_STAFF, Role.EXPERT])
    return (
        User.objects.filter(pk__in=memberships.values("user_id"))
        .exclude(pk=user.pk)
        .annotate(n_memberships=Count("memberships"))
        .prefetch_related("memberships__region", "memberships__school", "memberships__institution")
    )


def _get_or_404(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_region_for_user(user: Any, code: str) -> Region:
    """Return the region if the user administers it, else raise 404."""
    return _get_or_404(regions_for_user(user), code)


def access_school_for_user(user: Any, pk: Any) -> School:
    """Return the school if it lies in the user's reach, else raise 404."""
    return _get_or_404(schools_for_user(user), pk)


def access_institution_for_user(user: Any, pk: Any) -> Institution:
    return _get_or_404(institutions_for_user(user), pk)


def access_account_for_user(user: Any, pk: Any) -> User:
    """Return an account the user manages, else raise 404."""
    return _get_or_404(accounts_for_user(user), pk)
