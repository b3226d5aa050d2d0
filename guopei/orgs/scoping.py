"""Turn "this user" into queryset filters. Every list, detail, export and API endpoint goes through here.

A region code is six digits: 14 0000 is the province, 14 01 00 a city, 14 01 05 a county. A user's reach
is a union of code ranges, so `region_code BETWEEN lo AND hi` is served by the index on region_code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from .models import Membership, Region
from .roles import REGION_ADMIN_ROLES

Role = Membership.Role
M = TypeVar("M", bound=models.Model)


def region_bounds(code: str) -> tuple[str, str]:
    """Return the inclusive range of region codes inside `code` (itself included)."""
    if code.endswith("0000"):
        return code, code[:2] + "9999"
    if code.endswith("00"):
        return code, code[:4] + "99"
    return code, code


def region_level(code: str) -> str:
    if code.endswith("0000"):
        return Region.Level.PROVINCE
    if code.endswith("00"):
        return Region.Level.CITY
    return Region.Level.COUNTY


def code_within(code: str, ancestor: str) -> bool:
    lo, hi = region_bounds(ancestor)
    return lo <= code <= hi


def active_memberships(user: Any) -> list[Membership]:
    """The user's active memberships, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_guopei_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True).select_related("region", "school", "institution")
        )
        user._guopei_memberships = cached
    return cached


def roles_of(user: Any) -> set[str]:
    return {m.role for m in active_memberships(user)}


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def memberships_with(user: Any, roles: Iterable[str]) -> list[Membership]:
    wanted = set(roles)
    return [m for m in active_memberships(user) if m.role in wanted]


def admin_region_codes(user: Any, roles: Iterable[str] = REGION_ADMIN_ROLES) -> list[str]:
    """Region codes the user administers through a province, city or county role."""
    return sorted({m.region_code for m in memberships_with(user, roles)})


def region_q(user: Any, field: str = "region_code", roles: Iterable[str] = REGION_ADMIN_ROLES) -> Q:
    """A filter matching rows whose `field` lies in a region the user administers; matches nothing otherwise."""
    q = Q(pk__in=[])
    for code in admin_region_codes(user, roles):
        lo, hi = region_bounds(code)
        q |= Q(**{f"{field}__range": (lo, hi)}) if lo != hi else Q(**{field: lo})
    return q


def scope_by_region(
    qs: models.QuerySet[M], user: Any, field: str = "region_code", roles: Iterable[str] = REGION_ADMIN_ROLES
) -> models.QuerySet[M]:
    return qs.filter(region_q(user, field, roles))


def user_covers_region(user: Any, code: str, roles: Iterable[str] = REGION_ADMIN_ROLES) -> bool:
    return any(code_within(code, own) for own in admin_region_codes(user, roles))


def school_ids_of(user: Any, roles: Iterable[str] = (Role.SCHOOL_ADMIN,)) -> list[int]:
    return sorted({m.school_id for m in memberships_with(user, roles) if m.school_id})


def institution_ids_of(user: Any) -> list[int]:
    return sorted({m.institution_id for m in memberships_with(user, [Role.INSTITUTION_STAFF]) if m.institution_id})
