from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from ..roles import CIRCUMSTANCE_ROLES, CLASS_VIEW_ROLES, INCIDENT_ROLES, PARTICIPATION_ROLES, PROGRESS_ROLES

register = template.Library()
Role = Membership.Role


@register.inclusion_tag("delivery/_subnav.html", takes_context=True)
def delivery_subnav(context: dict[str, Any], active: str) -> dict[str, Any]:
    user = context["request"].user
    items = []
    if has_role(user, Role.TEACHER):
        items += [("me", "我的培训", reverse("delivery:my_training")),
                  ("offerings", "选学", reverse("delivery:offering_list"))]
    if has_role(user, *[r for r in CLASS_VIEW_ROLES if r != Role.TEACHER]):
        items.append(("classes", "班次", reverse("delivery:class_list")))
    if has_role(user, Role.INSTITUTION_STAFF):
        items.append(("offerings", "选学项目", reverse("delivery:offering_list")))
    if has_role(user, *PROGRESS_ROLES):
        items.append(("progress", "执行进度", reverse("delivery:progress")))
    if has_role(user, *PARTICIPATION_ROLES):
        items.append(("participation", "参训情况", reverse("delivery:participation")))
    if has_role(user, *[r for r in CIRCUMSTANCE_ROLES if r != Role.TEACHER]):
        items.append(("circumstances", "特殊情况", reverse("delivery:circumstance_list")))
    if has_role(user, *INCIDENT_ROLES):
        items.append(("incidents", "安全事件", reverse("delivery:incident_list")))
    items.append(("notices", "通知", reverse("delivery:notice_list")))
    return {"items": items, "active": active}


@register.filter
def masked_phone(enrolment: Any) -> str:
    return enrolment.emergency_phone_masked


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
