"""Exports of the plan (XLSX in the appendix format, PDF with Chinese fonts) and of the funds (item 7, PLAN-6)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from guopei.core.spreadsheets import write_xlsx

from .models import AnnualPlan, Project
from .project_table import HEADERS, TEXT_COLUMNS, project_row
from .revisions import target_summary
from .selectors import funds_by_category, projects_for_user, with_funds


def _projects(plan: AnnualPlan, user: Any) -> list[Project]:
    """The plan's projects within the user's reach, with everything a row reads loaded up front."""
    return list(
        projects_for_user(user).filter(plan=plan)
        .select_related("category__family", "parent", "previous_institution")
        .prefetch_related("components", "counties")
        .order_by("category__family__order", "category__order", "code")
    )


def plan_xlsx(plan: AnnualPlan, user: Any) -> bytes:
    notes = [
        f"{plan.title}（{plan.doc_number or '未编文号'}，第{plan.revision}版，状态：{plan.get_status_display()}）",
        f"导出时间：{timezone.localtime():%Y年%m月%d日 %H:%M}",
        "本表与导入模板格式相同，可修改后在规划的新版本中重新导入。",
    ]
    return write_xlsx(HEADERS, (project_row(p) for p in _projects(plan, user)), sheet_name="项目规划表",
                      text_columns=TEXT_COLUMNS, notes=notes)


def plan_pdf(plan: AnnualPlan, user: Any) -> bytes:
    """The plan as a printable document; the CSS names Noto Sans CJK SC so the Chinese text is real text."""
    from weasyprint import HTML

    projects = _projects(plan, user)
    rows = [{"project": p, "target": target_summary(p),
             "components": "、".join(f"{c.get_kind_display()}{c.hours}" for c in p.components.all()),
             "counties": "、".join(c.name for c in p.counties.all())} for p in projects]
    html = render_to_string("plans/plan_pdf.html", {
        "plan": plan, "rows": rows, "total_quota": sum(p.quota for p in projects if not p.parent_id),
        "total_budget": sum(p.budget for p in projects if not p.parent_id),
        "generated": timezone.localtime(),
    })
    return HTML(string=html).write_pdf()


FUNDS_HEADERS = ["项目编号", "项目名称", "项目类别组", "项目类别", "培训人数", "项目预算（元）", "已承诺（元）",
                 "已支付（元）", "未承诺（元）", "未支付（元）"]


def funds_xlsx(plan: AnnualPlan) -> bytes:
    projects: Any = with_funds(Project.objects.filter(plan=plan).select_related("category__family")).order_by(
        "category__family__order", "category__order", "code")
    rows: list[list[Any]] = []
    for p in projects:
        rows.append([p.code, p.name, p.category.family.name, p.category.name, p.quota, float(p.budget),
                     float(p.committed), float(p.paid), float(p.budget - p.committed), float(p.budget - p.paid)])
    by_category, by_family, total = funds_by_category(plan)
    rows.append([])
    for line in [*by_category, *by_family, total]:
        rows.append(["", f"小计：{line.label}", line.family, "", line.quota, float(line.budget),
                     float(line.committed), float(line.paid), float(line.uncommitted), float(line.unpaid)])
    return write_xlsx(FUNDS_HEADERS, rows, sheet_name="专项经费", text_columns=[0],
                      notes=[f"{plan.title}：专项经费预算与执行（PLAN-6）",
                             "有子项目的项目，其预算和经费包含各子项目；小计按顶层项目计算预算，不重复计算。",
                             f"导出时间：{timezone.localtime():%Y年%m月%d日 %H:%M}"])
