"""ECharts options of the performance dashboards, built from the ranked rows (MGMT-7).

Views put each option dict into the page with json_script; static/evaluation/charts.js draws them, since the
content security policy forbids inline scripts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .scoring import INPUT_LABELS, INPUTS, Row

COLOURS = ["#2f6db5", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754"]


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def composite_bar(chart_id: str, title: str, rows: list[Row], limit: int = 20) -> dict[str, Any]:
    """Horizontal bars of the composites, best on top."""
    shown = [r for r in rows if r.composite is not None][:limit]
    shown.reverse()
    return {"id": chart_id, "title": title, "options": {
        "color": COLOURS,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 170, "right": 50, "top": 40, "bottom": 30},
        "xAxis": {"type": "value", "min": 0, "max": 100, "name": "分"},
        "yAxis": {"type": "category", "data": [r.label for r in shown],
                  "axisLabel": {"width": 160, "overflow": "truncate"}},
        "series": [{"name": "综合得分", "type": "bar", "data": [_num(r.composite) for r in shown],
                    "label": {"show": True, "position": "right"}}],
    }}


def inputs_bar(chart_id: str, title: str, rows: list[Row], limit: int = 12) -> dict[str, Any]:
    """Grouped bars of the four inputs of the first rows."""
    shown = rows[:limit]
    return {"id": chart_id, "title": title, "options": {
        "color": COLOURS,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24},
        "grid": {"left": 50, "right": 20, "top": 60, "bottom": 80},
        "xAxis": {"type": "category", "data": [r.label for r in shown],
                  "axisLabel": {"interval": 0, "rotate": 30, "width": 90, "overflow": "truncate"}},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": "分"},
        "series": [{"name": INPUT_LABELS[name], "type": "bar", "data": [_num(r.inputs.get(name)) for r in shown]}
                   for name in INPUTS],
    }}


def trend_line(chart_id: str, title: str, series: list[tuple[str, list[tuple[int, Decimal | None]]]]) -> dict[str, Any]:
    """Lines of composites over the evaluated years (one line per series)."""
    years = sorted({year for _, points in series for year, _ in points})
    return {"id": chart_id, "title": title, "options": {
        "color": COLOURS,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24, "type": "scroll"},
        "grid": {"left": 50, "right": 30, "top": 60, "bottom": 30},
        "xAxis": {"type": "category", "data": [f"{y}年" for y in years]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": "分"},
        "series": [{"name": name, "type": "line", "connectNulls": False,
                    "data": [_num(dict(points).get(y)) for y in years], "label": {"show": len(series) == 1}}
                   for name, points in series],
    }}
