"""Navigation for tenders and course plans."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem
from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role

Role = Membership.Role


def nav_items(user: Any) -> list[NavItem]:
    items = []
    if has_role(user, *PROVINCE_ROLES, Role.INSTITUTION_STAFF):
        items.append(NavItem("招标", reverse("tenders:tender_list"), 30))
        items.append(NavItem("课程方案", reverse("tenders:course_plan_list"), 31))
    elif has_role(user, Role.EXPERT):
        items.append(NavItem("评审任务", reverse("tenders:assignment_list"), 30))
    return items
