"""Navigation of the evaluation: the overview for administrators and institutions, the expert's visits and the
teacher's own surveys."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .selectors import VIEWER_ROLES

Role = Membership.Role


def nav_items(user: Any) -> list[NavItem]:
    items: list[NavItem] = []
    if has_role(user, *VIEWER_ROLES):
        items.append(NavItem("绩效评估", reverse("evaluation:index"), 60))
    if has_role(user, Role.EXPERT):
        items.append(NavItem("实地调研", reverse("evaluation:visit_list"), 61))
    if has_role(user, Role.TEACHER):
        items.append(NavItem("我的评教", reverse("evaluation:my_surveys"), 62))
    return items
