from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .roles import INTAKE_ROLES, TEACHER_ADMIN_ROLES, TEACHER_VIEW_ROLES


def nav_items(user: Any) -> list[NavItem]:
    items: list[NavItem] = []
    if has_role(user, *TEACHER_VIEW_ROLES):
        items.append(NavItem("教师库", reverse("teachers:teacher_list"), 30))
    if has_role(user, *TEACHER_ADMIN_ROLES):
        items.append(NavItem("精准遴选", reverse("teachers:selection_index"), 31))
    elif has_role(user, *INTAKE_ROLES):
        items.append(NavItem("学员推荐审核", reverse("teachers:nomination_list"), 31))
    if has_role(user, Membership.Role.TEACHER):
        items.append(NavItem("我的参训档案", reverse("teachers:teacher_me"), 30))
    return items
