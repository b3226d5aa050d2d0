"""Navigation entries of the annual plan for the province's two departments and the city and county offices."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role

from .selectors import LOCAL_ROLES


def nav_items(user: Any) -> list[NavItem]:
    items: list[NavItem] = []
    if has_role(user, *PROVINCE_ROLES, *LOCAL_ROLES):
        items.append(NavItem("年度规划", reverse("plans:plan_list"), 20))
        items.append(NavItem("名额分配", reverse("plans:allocation_list"), 21))
    if has_role(user, *PROVINCE_ROLES):
        items.append(NavItem("专项经费", reverse("plans:funds_overview"), 22))
    return items
