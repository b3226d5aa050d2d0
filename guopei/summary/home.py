"""Home-page panels of the ten-year summary, with counts from the database (SUMMARY-1, SUMMARY-2)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse

from guopei.core.registry import Panel
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .deadlines import base_deadline, countdown, summary_year
from .models import Material, Submission, TraineeOutcome, TypicalCase
from .selectors import cities, city_submission, own_city_code

Role = Membership.Role


def _city_panel(code: str) -> Panel:
    submission = city_submission(code)
    year = summary_year()
    url = reverse("summary:index")
    if submission is None:
        clock = countdown(base_deadline(year))
        stats: list[tuple[str, Any, str]] = [("素材", 0, url), ("典型案例", 0, url), ("学员成果", 0, url)]
        state, late = "未开始", False
    else:
        extended = bool(submission.extended_until and submission.extended_until > submission.deadline)
        clock = countdown(submission.effective_deadline, extended=extended)
        stats = [
            ("素材", submission.materials.count(), reverse("summary:material_list")),
            ("典型案例", submission.cases.count(), reverse("summary:case_list")),
            ("学员成果", submission.outcomes.count(), reverse("summary:outcome_list")),
        ]
        state, late = submission.get_state_display(), submission.is_late
    return Panel(f"十年总结（{year}年）", order=40, stats=stats, template="summary/_home_city.html",
                 context={"state": state, "late": late, "clock": clock})


def _province_panel() -> Panel:
    year = summary_year()
    by_state = dict(Submission.objects.filter(year=year).values_list("state").annotate(n=Count("pk")))
    started = sum(by_state.values())
    list_url = reverse("summary:submission_list")
    featured = (Material.objects.filter(is_featured=True).count() + TypicalCase.objects.filter(is_featured=True).count()
                + TraineeOutcome.objects.filter(is_featured=True).count())
    return Panel(f"各市十年总结（{year}年）", order=40, stats=[
        ("待审核", by_state.get(Submission.State.SUBMITTED, 0), f"{list_url}?state=submitted"),
        ("已通过", by_state.get(Submission.State.ACCEPTED, 0), f"{list_url}?state=accepted"),
        ("已退回", by_state.get(Submission.State.RETURNED, 0), f"{list_url}?state=returned"),
        ("未提交", cities().count() - started + by_state.get(Submission.State.DRAFT, 0), list_url),
        ("展示栏目精选", featured, reverse("public:index")),
    ])


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    if has_role(user, Role.PROVINCE_ADMIN):
        panels.append(_province_panel())
    code = own_city_code(user)
    if code is not None:
        panels.append(_city_panel(code))
    return panels
