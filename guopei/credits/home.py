"""Home-page panels for credit hours and IT 2.0 progress: real counts from the database (MGMT-3, PLAN-5)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import Panel
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .it20 import county_progress, it20_years
from .requirements import annual_hours_required
from .selectors import audit_queue_for_user, current_year, own_teacher, transcript_for

Role = Membership.Role


def _hours(value: Any) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    if has_role(user, Role.COUNTY_ADMIN):
        queue = audit_queue_for_user(user)
        url = reverse("credits:audit_queue")
        panels.append(Panel("学时审核", order=30, stats=[
            ("待审核学时记录", queue.count(), url),
            ("其中教师申报", queue.filter(origin="teacher").count(), url),
        ]))
    if has_role(user, Role.TEACHER):
        teacher = own_teacher(user)
        if teacher is not None:
            t = transcript_for(teacher, current_year())
            url = reverse("credits:my_transcript")
            panels.append(Panel("我的学分", order=5, stats=[
                (f"{t.year}年已认定学时（要求{annual_hours_required()}）", _hours(t.this_year.hours), url),
                (f"{t.cycle.label}周期学时（要求{t.cycle.hours_required}）", _hours(t.cycle_hours), url),
                ("待审核学时", _hours(t.this_year.pending_hours), url),
            ]))
    if has_role(user, Role.PROVINCE_ADMIN, Role.CITY_ADMIN):
        years = it20_years()
        if years:
            overview = county_progress(user, years[0])
            if overview.counties:
                url = reverse("credits:it20_overview") + f"?year={overview.year}"
                total = overview.total
                panels.append(Panel(f"{overview.year}年信息技术2.0整校推进", order=35, stats=[
                    ("项目县", len(overview.counties), url),
                    ("教师达标率（%）", total.share, url),
                    ("已达标教师", total.complete, url),
                    ("整校完成学校", total.whole_schools, url),
                ]))
    return panels
