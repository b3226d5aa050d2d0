"""ECharts options for the plan dashboard, built from the database (item 8).

Views put each option dict into the page with json_script; static/plans/dashboard.js draws them, since the
content security policy forbids inline scripts.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from .models import AnnualPlan
from .selectors import allocations_for_user, funds_by_category, quota_by_city

COLOURS = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#0dcaf0", "#ffc107"]


def _yuan(value: Decimal) -> float:
    return float(round(value / Decimal(10000), 2))


def _bar(title: str, categories: list[str], series: list[tuple[str, list[Any]]], *, unit: str,
         horizontal: bool = False) -> dict[str, Any]:
    category_axis = {"type": "category", "data": categories, "axisLabel": {"interval": 0, "width": 140,
                                                                          "overflow": "truncate"}}
    value_axis = {"type": "value", "name": unit}
    return {
        "color": COLOURS,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24} if len(series) > 1 else {"show": False},
        "grid": {"left": 160 if horizontal else 60, "right": 30, "top": 60, "bottom": 40, "containLabel": False},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [{"name": name, "type": "bar", "data": data, "label": {"show": len(series) == 1,
                    "position": "right" if horizontal else "top"}} for name, data in series],
    }


def _pie(title: str, items: list[tuple[str, Any]], *, unit: str) -> dict[str, Any]:
    return {
        "color": COLOURS,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}" + unit + "（{d}%）"},
        "series": [{"type": "pie", "radius": ["35%", "65%"], "top": 30,
                    "data": [{"name": n, "value": v} for n, v in items],
                    "label": {"formatter": "{b}\n{c}" + unit}}],
    }


def province_charts(plan: AnnualPlan) -> dict[str, Any]:
    by_category, by_family, total = funds_by_category(plan)
    used = [line for line in by_category if line.quota or line.budget]
    cities = quota_by_city(plan)
    charts = [
        {"id": "chart-family", "title": "各项目类别组培训人数",
         "options": _pie("各项目类别组培训人数", [(f.label, f.quota) for f in by_family], unit="人")},
        {"id": "chart-category", "title": "各项目类别培训人数",
         "options": _bar("各项目类别培训人数", [c.label for c in used], [("培训人数", [c.quota for c in used])],
                         unit="人", horizontal=True)},
        {"id": "chart-city", "title": "各市分配名额",
         "options": _bar("各市分配名额", [name for name, _ in cities], [("名额", [q for _, q in cities])],
                         unit="人")},
        {"id": "chart-funds", "title": "预算、承诺与支付（万元）",
         "options": _bar("预算、承诺与支付（万元）", [f.label for f in by_family],
                         [("预算", [_yuan(f.budget) for f in by_family]),
                          ("已承诺", [_yuan(f.committed) for f in by_family]),
                          ("已支付", [_yuan(f.paid) for f in by_family])], unit="万元")},
    ]
    allocated = sum(q for _, q in cities)
    return {"charts": charts, "by_family": by_family, "by_category": used, "total": total, "cities": cities,
            "allocated": allocated, "unallocated": total.quota - allocated}


def local_charts(plan: AnnualPlan, user: Any) -> dict[str, Any]:
    """A city's or county's own shares of the plan's projects."""
    allocations = list(allocations_for_user(user).filter(project__plan=plan).select_related(
        "project__category", "region").order_by("project__code", "region_code"))
    own = [a for a in allocations if not a.parent_id] or allocations
    by_project: dict[str, int] = defaultdict(int)
    for a in own:
        by_project[a.project.name] += a.quota
    by_county: dict[str, int] = defaultdict(int)
    for a in allocations:
        if a.parent_id:
            by_county[a.region.name] += a.quota
    charts = [{"id": "chart-own", "title": "本地区各项目名额",
               "options": _bar("本地区各项目名额", list(by_project), [("名额", list(by_project.values()))],
                               unit="人", horizontal=True)}]
    if by_county and any(not a.parent_id for a in allocations):
        charts.append({"id": "chart-county", "title": "各县区名额合计",
                       "options": _bar("各县区名额合计", list(by_county), [("名额", list(by_county.values()))],
                                       unit="人")})
    return {"charts": charts, "allocations": allocations, "own_total": sum(a.quota for a in own)}
