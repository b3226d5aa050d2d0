from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import NavItem

from .roles import ACCOUNT_MANAGER_ROLES, PROVINCE_ROLES, REGION_ADMIN_ROLES
from .scoping import has_role


def nav_items(user: Any) -> list[NavItem]:
    items = [NavItem("首页", reverse("home"), 0)]
    if has_role(user, *REGION_ADMIN_ROLES):
        items.append(NavItem("区域与学校", reverse("orgs:school_list"), 10))
    if has_role(user, *REGION_ADMIN_ROLES, "expert", "institution_staff"):
        items.append(NavItem("培训机构", reverse("orgs:institution_list"), 11))
    if has_role(user, *PROVINCE_ROLES):
        items.append(NavItem("专家库", reverse("orgs:expert_list"), 12))
    if has_role(user, *REGION_ADMIN_ROLES):
        items.append(NavItem("教师发展中心", reverse("orgs:centre_list"), 13))
    if has_role(user, *ACCOUNT_MANAGER_ROLES):
        items.append(NavItem("账号管理", reverse("orgs:account_list"), 90))
    return items
