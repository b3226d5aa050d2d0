"""Home-page panels for regions, organisations and accounts: real counts from the database."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import Panel

from .models import Membership, Region
from .roles import ACCOUNT_MANAGER_ROLES, REGION_ADMIN_ROLES
from .scoping import active_memberships, has_role
from .selectors import accounts_for_user, centres_for_user, institutions_for_user, regions_for_user, schools_for_user

Role = Membership.Role


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    if has_role(user, *REGION_ADMIN_ROLES):
        regions = regions_for_user(user)
        schools = schools_for_user(user)
        panels.append(
            Panel(
                "管辖范围",
                order=10,
                stats=[
                    ("市", regions.filter(level=Region.Level.CITY).count(), ""),
                    ("县（市、区）", regions.filter(level=Region.Level.COUNTY).count(), ""),
                    ("学校", schools.exclude(kind="kindergarten").count(), reverse("orgs:school_list")),
                    ("幼儿园", schools.filter(kind="kindergarten").count(),
                     reverse("orgs:school_list") + "?kind=kindergarten"),
                    ("教师发展中心", centres_for_user(user).count(), reverse("orgs:centre_list")),
                ],
            )
        )
    if has_role(user, Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE):
        institutions = institutions_for_user(user)
        panels.append(
            Panel(
                "培训机构",
                order=11,
                stats=[
                    ("培训机构", institutions.count(), reverse("orgs:institution_list")),
                    ("远程培训推荐名单", institutions.filter(on_remote_list=True).count(),
                     reverse("orgs:institution_list") + "?remote=1"),
                ],
            )
        )
    if has_role(user, *ACCOUNT_MANAGER_ROLES):
        accounts = accounts_for_user(user)
        panels.append(
            Panel(
                "下级账号",
                order=80,
                stats=[
                    ("账号", accounts.count(), reverse("orgs:account_list")),
                    ("已停用", accounts.filter(is_active=False).count(), reverse("orgs:account_list") + "?active=0"),
                ],
            )
        )
    for membership in active_memberships(user):
        if membership.role == Role.SCHOOL_ADMIN and membership.school_id:
            school = membership.school
            panels.append(Panel(f"本校：{school.name}", order=12, stats=[
                ("教师账号", Membership.objects.filter(school=school, role=Role.TEACHER, is_active=True).count(),
                 ""),
            ]))
        elif membership.role == Role.INSTITUTION_STAFF and membership.institution_id:
            institution = membership.institution
            panels.append(Panel(f"本机构：{institution.name}", order=12, stats=[
                ("机构人员", Membership.objects.filter(institution=institution, is_active=True).count(), ""),
            ]))
    return panels
