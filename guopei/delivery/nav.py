from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .roles import CLASS_VIEW_ROLES

Role = Membership.Role


def nav_items(user: Any) -> list[NavItem]:
    items = []
    if has_role(user, Role.TEACHER):
        items.append(NavItem("我的培训", reverse("delivery:my_training"), 40))
        items.append(NavItem("选学", reverse("delivery:offering_list"), 41))
    if has_role(user, *[r for r in CLASS_VIEW_ROLES if r != Role.TEACHER]):
        items.append(NavItem("培训实施", reverse("delivery:class_list"), 42))
    return items
