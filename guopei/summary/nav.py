"""Navigation for the ten-year summary: city and province administrators."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

Role = Membership.Role


def nav_items(user: Any) -> list[NavItem]:
    items: list[NavItem] = []
    if has_role(user, Role.CITY_ADMIN, Role.PROVINCE_ADMIN):
        items.append(NavItem("十年总结", reverse("summary:index"), 70))
        items.append(NavItem("成果展示", reverse("public:index"), 72))
    if has_role(user, Role.PROVINCE_ADMIN):
        items.append(NavItem("向教育部推荐", reverse("summary:package_list"), 71))
    return items
