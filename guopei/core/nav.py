"""Navigation the core contributes: background jobs, and the audit log for the province's education administrators."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.orgs.models import Membership
from guopei.orgs.roles import REGION_ADMIN_ROLES
from guopei.orgs.scoping import has_role

from .registry import NavItem

# Roles whose pages start imports and exports as background jobs.
JOB_STARTER_ROLES = (*REGION_ADMIN_ROLES, Membership.Role.SCHOOL_ADMIN, Membership.Role.INSTITUTION_STAFF)


def nav_items(user: Any) -> list[NavItem]:
    items: list[NavItem] = []
    if has_role(user, *JOB_STARTER_ROLES):
        items.append(NavItem("后台任务", reverse("core:job_list"), 85))
    if has_role(user, Membership.Role.PROVINCE_ADMIN):
        items.append(NavItem("审计日志", reverse("audit:search"), 95))
    return items
