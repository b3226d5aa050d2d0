"""Template helpers of the teacher pages: the section navigation by role, masked values."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from guopei.core.pii import mask_id_number, mask_phone, pii_decrypt
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from ..roles import INTAKE_ROLES, TEACHER_ADMIN_ROLES, TEACHER_VIEW_ROLES

register = template.Library()
Role = Membership.Role


@register.inclusion_tag("teachers/_subnav.html", takes_context=True)
def teachers_subnav(context: dict[str, Any], active: str = "") -> dict[str, Any]:
    user = context["request"].user
    items: list[tuple[str, str, str]] = []
    if has_role(user, *TEACHER_VIEW_ROLES):
        items.append(("teachers", "教师名册", reverse("teachers:teacher_list")))
    if has_role(user, *TEACHER_ADMIN_ROLES):
        items += [
            ("import", "导入名册", reverse("teachers:roster_import")),
            ("history", "导入参训历史", reverse("teachers:history_import")),
            ("transfers", "教师调动", reverse("teachers:transfer_list")),
        ]
    if has_role(user, *TEACHER_VIEW_ROLES):
        items.append(("integrity", "诚信档案", reverse("teachers:integrity_list")))
    if has_role(user, *TEACHER_ADMIN_ROLES):
        items += [
            ("reserve", "储备库", reverse("teachers:reserve_list")),
            ("cap", "参训次数上限", reverse("teachers:cap_policy")),
            ("selection", "精准遴选", reverse("teachers:selection_index")),
        ]
    if has_role(user, *TEACHER_ADMIN_ROLES, *INTAKE_ROLES):
        items.append(("nominations", "推荐名单", reverse("teachers:nomination_list")))
    if has_role(user, Role.PROVINCE_ADMIN):
        items.append(("intake", "项目承训机构", reverse("teachers:intake_list")))
    return {"items": items, "active": active}


@register.filter
def masked_id(token: str) -> str:
    return mask_id_number(pii_decrypt(token))


@register.filter
def masked_phone(token: str) -> str:
    return mask_phone(pii_decrypt(token))
