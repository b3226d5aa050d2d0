"""Template helpers of the credits pages: the tabs each role sees, and hours without trailing zeros."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse

from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role
from guopei.teachers.roles import TEACHER_ADMIN_ROLES

from ..it20 import IT20_VIEW_ROLES

register = template.Library()
Role = Membership.Role


def tabs_for(user: Any) -> list[tuple[str, str, str]]:
    tabs: list[tuple[str, str, str]] = []
    if has_role(user, Role.TEACHER):
        tabs.append(("my", "我的学分档案", reverse("credits:my_transcript")))
    if has_role(user, Role.INSTITUTION_STAFF):
        tabs.append(("classes", "班次学时报送", reverse("credits:class_list")))
    if has_role(user, Role.COUNTY_ADMIN):
        tabs.append(("queue", "学时审核", reverse("credits:audit_queue")))
    if has_role(user, *TEACHER_ADMIN_ROLES, Role.SCHOOL_ADMIN, Role.INSTITUTION_STAFF):
        tabs.append(("records", "学时记录", reverse("credits:record_list")))
    if has_role(user, *TEACHER_ADMIN_ROLES, Role.SCHOOL_ADMIN):
        tabs.append(("totals", "教师学时汇总", reverse("credits:teacher_totals")))
    if has_role(user, *IT20_VIEW_ROLES):
        tabs.append(("it20", "信息技术2.0进度", reverse("credits:it20_overview")))
    return tabs


@register.inclusion_tag("credits/_subnav.html", takes_context=True)
def credits_subnav(context: dict[str, Any], active: str) -> dict[str, Any]:
    return {"tabs": tabs_for(context["request"].user), "active": active}


@register.filter
def hours(value: Any) -> str:
    """20.0 → 20, 12.5 → 12.5; None → 0."""
    if value in (None, ""):
        return "0"
    number = Decimal(value)
    text = format(number.quantize(Decimal("0.01")).normalize(), "f")
    return text
