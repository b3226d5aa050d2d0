"""Compare two submitted versions of a course plan: modules added, removed and changed, field by field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guopei.plans.models import ProjectComponent

from .models import CourseModule

FIELD_LABELS = {
    "title": "模块名称",
    "component": "环节",
    "theory_hours": "理论学时",
    "practice_hours": "实践学时",
    "methods": "教学方式",
    "topics": "专题标签",
    "expected_outputs": "预期成果",
}
COMPONENTS = dict(ProjectComponent.Kind.choices)
METHODS = dict(CourseModule.Method.choices)


@dataclass(frozen=True)
class Change:
    module: str
    kind: str  # "added" | "removed" | "changed"
    field: str = ""
    old: str = ""
    new: str = ""


def _show(field: str, value: Any, topics: dict[str, str]) -> str:
    if field == "component":
        return COMPONENTS.get(value, value)
    if field == "methods":
        return "、".join(METHODS.get(v, v) for v in value) or "—"
    if field == "topics":
        return "、".join(topics.get(v, v) for v in value) or "—"
    return str(value) if value not in ("", None) else "—"


def _describe(module: dict[str, Any], topics: dict[str, str]) -> str:
    hours = int(module.get("theory_hours", 0)) + int(module.get("practice_hours", 0))
    return f"{_show('component', module.get('component', ''), topics)}，{hours}学时"


def snapshot_diff(old: dict[str, Any], new: dict[str, Any], topics: dict[str, str] | None = None) -> list[Change]:
    """What changed from `old` to `new`. Modules are matched by position (the order the institution gave)."""
    topics = topics or {}
    changes: list[Change] = []
    if old.get("title") != new.get("title"):
        changes.append(Change(module="方案名称", kind="changed", field="方案名称", old=old.get("title", ""),
                              new=new.get("title", "")))
    before, after = old.get("modules", []), new.get("modules", [])
    for index in range(max(len(before), len(after))):
        a = before[index] if index < len(before) else None
        b = after[index] if index < len(after) else None
        if a is None and b is not None:
            changes.append(Change(module=b["title"], kind="added", new=_describe(b, topics)))
        elif b is None and a is not None:
            changes.append(Change(module=a["title"], kind="removed", old=_describe(a, topics)))
        elif a is not None and b is not None:
            for field, label in FIELD_LABELS.items():
                if a.get(field) != b.get(field):
                    changes.append(Change(module=b["title"] or a["title"], kind="changed", field=label,
                                          old=_show(field, a.get(field), topics),
                                          new=_show(field, b.get(field), topics)))
    return changes
