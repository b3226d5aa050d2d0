"""ECharts options for IT 2.0 progress (PLAN-5), built from the counts in `it20`.

Views put each option dict into the page with json_script; static/credits/charts.js draws them (the content
security policy forbids inline scripts).
"""

from __future__ import annotations

from typing import Any

from .it20 import Progress

COMPLETE = "#198754"
HOURS_ONLY = "#fd7e14"
NOT_YET = "#adb5bd"


def progress_bars(title: str, rows: list[Progress]) -> dict[str, Any]:
    """Stacked horizontal bars per row: completed, 50 hours without 25 practice, not yet; the share as label."""
    names = [r.name for r in rows]
    return {
        "color": [COMPLETE, HOURS_ONLY, NOT_YET],
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 24},
        "grid": {"left": 10, "right": 60, "top": 60, "bottom": 20, "containLabel": True},
        "xAxis": {"type": "value", "name": "人"},
        "yAxis": {"type": "category", "data": names, "inverse": True,
                  "axisLabel": {"width": 150, "overflow": "truncate"}},
        "series": [
            {"name": "已达标（≥50学时且实践≥25）", "type": "bar", "stack": "t", "data": [r.complete for r in rows]},
            {"name": "学时已满、实践不足", "type": "bar", "stack": "t", "data": [r.hours_only for r in rows]},
            {"name": "未达标", "type": "bar", "stack": "t", "data": [r.not_started for r in rows],
             "label": {"show": True, "position": "right",
                       "formatter": "{c}"}},
        ],
    }


def share_bars(title: str, rows: list[Progress]) -> dict[str, Any]:
    """The completion share (%) per row, one bar each."""
    return {
        "color": [COMPLETE],
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 10, "right": 50, "top": 40, "bottom": 20, "containLabel": True},
        "xAxis": {"type": "value", "name": "%", "max": 100},
        "yAxis": {"type": "category", "data": [r.name for r in rows], "inverse": True,
                  "axisLabel": {"width": 150, "overflow": "truncate"}},
        "series": [{"name": "达标率（%）", "type": "bar", "data": [float(r.share) for r in rows],
                    "label": {"show": True, "position": "right", "formatter": "{c}%"}}],
    }


def chart_height(rows: int) -> str:
    """A CSS class sized for the number of bars (inline styles are forbidden by the CSP)."""
    if rows > 40:
        return "chart chart-xl"
    if rows > 15:
        return "chart chart-lg"
    return "chart"
