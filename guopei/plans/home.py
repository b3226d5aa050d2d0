"""Home-page panels of the annual plan: real figures for the newest plan the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django.urls import reverse

from guopei.core.registry import Panel
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .models import AnnualPlan, Project, ProjectCounty
from .selectors import LOCAL_ROLES, allocations_for_user, funds_by_category, is_province, plans_for_user

Role = Membership.Role


def home_panels(user: Any) -> list[Panel]:
    if not (is_province(user) or has_role(user, *LOCAL_ROLES)):
        return []
    plan = plans_for_user(user).order_by("-year").first()
    if plan is None:
        stats: list[tuple[str, Any, str]] = [("年度规划", 0, reverse("plans:plan_list"))]
        return [Panel("年度规划", order=20, stats=stats)]
    detail = reverse("plans:plan_detail", args=[plan.pk])
    panels = []
    if is_province(user):
        projects = Project.objects.filter(plan=plan)
        top = projects.filter(parent__isnull=True).aggregate(q=Sum("quota"))["q"] or 0
        counties = ProjectCounty.objects.filter(year=plan.year)
        panels.append(Panel(f"{plan.year}年规划 · {plan.get_status_display()}（第{plan.revision}版）", order=20, stats=[
            ("项目（含子项目）", projects.count(), detail),
            ("培训人数", top, reverse("plans:allocation_list") + f"?plan={plan.pk}"),
            ("国培项目区县", counties.filter(is_programme=True).count(),
             reverse("plans:project_county_list") + f"?year={plan.year}"),
            ("信息技术2.0项目区县", counties.filter(is_it20=True).count(),
             reverse("plans:project_county_list") + f"?year={plan.year}"),
        ]))
        if has_role(user, Role.PROVINCE_ADMIN) and plan.status == AnnualPlan.Status.EDUCATION_REVIEW:
            panels[-1].stats.append(("待教育厅审核", 1, detail))
        if has_role(user, Role.PROVINCE_FINANCE):
            awaiting = AnnualPlan.objects.filter(status=AnnualPlan.Status.FINANCE_REVIEW,
                                                 finance_signed_by__isnull=True).count()
            _, _, total = funds_by_category(plan)
            funds = reverse("plans:funds_overview") + f"?plan={plan.pk}"
            panels.append(Panel(f"{plan.year}年专项经费", order=21, stats=[
                ("预算（万元）", round(total.budget / 10000, 1), funds),
                ("已承诺（万元）", round(total.committed / 10000, 1), funds),
                ("已支付（万元）", round(total.paid / 10000, 1), funds),
                ("待财政厅会签", awaiting, reverse("plans:plan_list")),
            ]))
    else:
        allocations = allocations_for_user(user).filter(project__plan=plan)
        own_level = allocations.filter(parent__isnull=has_role(user, Role.CITY_ADMIN))
        panels.append(Panel(f"{plan.year}年本地区名额", order=20, stats=[
            ("有名额的项目", own_level.values("project_id").distinct().count(),
             reverse("plans:allocation_list") + f"?plan={plan.pk}"),
            ("名额合计", own_level.aggregate(q=Sum("quota"))["q"] or 0,
             reverse("plans:dashboard") + f"?plan={plan.pk}"),
        ]))
    return panels
