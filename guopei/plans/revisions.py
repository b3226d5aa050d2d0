"""Snapshots of a plan's content and the field-level differences between two revisions (PLAN-1).

A snapshot is plain JSON (labels and display values, not ids) so that it still reads correctly years later,
after categories are renamed or institutions merged. Projects are keyed by their code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from .models import AnnualPlan, Project, ProjectComponent

PLAN_LABELS = {"title": "规划名称", "doc_number": "文号", "issued_on": "印发日期"}

PROJECT_LABELS = {
    "name": "项目名称",
    "category": "项目类别",
    "parent": "上级项目",
    "target": "培训对象",
    "training_form": "培训形式",
    "components": "环节学时",
    "days": "培训天数",
    "hours": "总学时",
    "quota": "培训人数",
    "cost_standard": "经费标准（元/人/天）",
    "budget": "项目预算（元）",
    "counties": "实施县区",
    "is_it20": "信息技术2.0项目",
    "dates": "培训时间",
    "continuation": "延续2019年项目",
}


def _yes(value: bool) -> str:
    return "是" if value else "否"


def target_summary(project: Project) -> str:
    """The target conditions in words, as the appendix writes them."""
    from guopei.orgs.models import School

    kinds = dict(School.Kind.choices)
    posts = dict(Project.Post.choices)
    levels = dict(Project.BackboneLevel.choices)
    parts = []
    if project.target_description:
        parts.append(project.target_description)
    if project.target_segments:
        parts.append("学段：" + "、".join(kinds.get(s, s) for s in project.target_segments))
    if project.target_posts:
        parts.append("岗位：" + "、".join(posts.get(p, p) for p in project.target_posts))
    if project.target_subjects:
        parts.append("学科：" + "、".join(project.target_subjects))
    if project.target_backbone_levels:
        parts.append("骨干：" + "、".join(levels.get(b, b) for b in project.target_backbone_levels))
    if project.rural_only:
        parts.append("仅限乡村学校")
    if project.preschool_major is not None:
        parts.append("学前教育专业" if project.preschool_major else "非学前教育专业")
    if project.service_years_min is not None or project.service_years_max is not None:
        lo = project.service_years_min if project.service_years_min is not None else 0
        hi = f"{project.service_years_max}" if project.service_years_max is not None else "以上"
        parts.append(f"教龄{lo}–{hi}年" if project.service_years_max is not None else f"教龄{lo}年以上")
    if project.hired_within_years is not None:
        parts.append(f"入职{project.hired_within_years}年内")
    if project.private_kindergartens_only:
        parts.append("仅限民办幼儿园")
    if project.project_counties_only:
        parts.append("仅限项目区县")
    return "；".join(parts)


def plan_projects(plan: AnnualPlan) -> list[Project]:
    """The plan's projects with everything a snapshot or an export reads, in a fixed number of queries."""
    return list(
        Project.objects.filter(plan=plan)
        .select_related("category__family", "parent", "previous_institution")
        .prefetch_related(
            Prefetch("components", queryset=ProjectComponent.objects.order_by("id")),
            "counties",
        )
        .order_by("category__family__order", "category__order", "code")
    )


def project_snapshot(project: Project) -> dict[str, Any]:
    kinds = dict(ProjectComponent.Kind.choices)
    components = {c.kind: c.hours for c in project.components.all()}
    return {
        "name": project.name,
        "category": project.category.name,
        "parent": project.parent.code if project.parent_id else "",
        "target": target_summary(project),
        "training_form": project.get_training_form_display(),
        "components": "、".join(f"{kinds[k]}{components[k]}" for k in kinds if k in components),
        "days": project.days,
        "hours": project.hours,
        "quota": project.quota,
        "cost_standard": str(project.cost_standard),
        "budget": str(project.budget),
        "counties": "、".join(sorted(c.name for c in project.counties.all())),
        "is_it20": _yes(project.is_it20),
        "dates": f"{project.start_date or ''}至{project.end_date or ''}" if project.start_date else "",
        "continuation": (f"是（{project.previous_project_name}"
                         f"{'，' + project.previous_institution.name if project.previous_institution_id else ''}）"
                         if project.continues_from_2019 else "否"),
    }


def plan_snapshot(plan: AnnualPlan) -> dict[str, Any]:
    return {
        "plan": {
            "title": plan.title,
            "doc_number": plan.doc_number,
            "issued_on": plan.issued_on.isoformat() if plan.issued_on else "",
        },
        "projects": {p.code: project_snapshot(p) for p in plan_projects(plan)},
    }


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots: kind is plan / added / removed / changed."""

    kind: str
    code: str
    label: str
    old: Any
    new: Any

    @property
    def kind_label(self) -> str:
        return {"plan": "规划信息", "added": "新增项目", "removed": "删除项目", "changed": "修改项目"}[self.kind]


def snapshot_diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Field-level differences from `old` to `new`, in a stable order."""
    changes: list[Change] = []
    old_plan, new_plan = old.get("plan", {}), new.get("plan", {})
    for key, label in PLAN_LABELS.items():
        if old_plan.get(key) != new_plan.get(key):
            changes.append(Change("plan", "", label, old_plan.get(key, ""), new_plan.get(key, "")))
    old_projects, new_projects = old.get("projects", {}), new.get("projects", {})
    for code in sorted(set(old_projects) | set(new_projects)):
        before, after = old_projects.get(code), new_projects.get(code)
        if before is None:
            changes.append(Change("added", code, "项目", "", after["name"]))
        elif after is None:
            changes.append(Change("removed", code, "项目", before["name"], ""))
        else:
            for key, label in PROJECT_LABELS.items():
                if before.get(key) != after.get(key):
                    changes.append(Change("changed", code, label, before.get(key, ""), after.get(key, "")))
    return changes
