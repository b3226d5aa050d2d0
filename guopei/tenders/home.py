"""Home-page panels for tenders, evaluations, awards and course plans: real counts from the database."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from guopei.core.registry import Panel
from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role

from . import selectors
from .models import Award, CoursePlan, ExpertSelection, Tender

Role = Membership.Role
S = Tender.Status


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    tenders_url = reverse("tenders:tender_list")
    plans_url = reverse("tenders:course_plan_list")
    if has_role(user, *PROVINCE_ROLES):
        tenders = selectors.tenders_for_user(user)
        in_progress = [S.TENDERING, S.QUALIFICATION, S.EVALUATION, S.STANDSTILL]
        waiting_selection = tenders.filter(status=S.FAILED).exclude(
            selection__status=ExpertSelection.Status.CONFIRMED).count()
        panels.append(Panel("招标与定标", order=30, stats=[
            ("进行中的招标", tenders.filter(status__in=in_progress).count(), tenders_url),
            ("评审中", tenders.filter(status=S.EVALUATION).count(), f"{tenders_url}?status=evaluation"),
            ("定标公示中", tenders.filter(status=S.STANDSTILL).count(), f"{tenders_url}?status=standstill"),
            ("流标待遴选", waiting_selection, f"{tenders_url}?status=failed"),
            ("已签约", selectors.awards_for_user(user).filter(status=Award.Status.CONTRACTED).count(),
             reverse("tenders:award_list")),
            ("延续项目待委托", selectors.continuation_projects().count(), reverse("tenders:award_list")),
        ]))
        plans = selectors.course_plans_for_user(user)
        panels.append(Panel("课程方案", order=31, stats=[
            ("待审核", plans.filter(status=CoursePlan.Status.SUBMITTED).count(), f"{plans_url}?status=submitted"),
            ("已通过", plans.filter(status=CoursePlan.Status.APPROVED).count(), f"{plans_url}?status=approved"),
            ("编制中", plans.filter(status__in=[CoursePlan.Status.DRAFT, CoursePlan.Status.RETURNED]).count(),
             plans_url),
        ]))
    if has_role(user, Role.INSTITUTION_STAFF):
        open_now = selectors.open_tenders(user).filter(deadline__gt=timezone.now()).count()
        bids = selectors.bids_of_institutions(user)
        plans = selectors.course_plans_for_user(user)
        panels.append(Panel("招标与课程方案", order=30, stats=[
            ("可投标的招标", open_now, f"{tenders_url}?status=tendering"),
            ("本机构投标", bids.count(), reverse("tenders:my_bids")),
            ("中标项目", selectors.awards_for_user(user).filter(status__in=Award.LIVE_STATUSES).count(),
             reverse("tenders:award_list")),
            ("待编制/退回的课程方案",
             plans.filter(status__in=[CoursePlan.Status.DRAFT, CoursePlan.Status.RETURNED]).count(), plans_url),
        ]))
    if has_role(user, Role.EXPERT):
        seats = selectors.assignments_for_user(user)
        panels.append(Panel("评审任务", order=30, stats=[
            ("待声明或评分", seats.filter(recused_at__isnull=True, submitted_at__isnull=True).count(),
             reverse("tenders:assignment_list")),
            ("已提交", seats.filter(submitted_at__isnull=False).count(), reverse("tenders:assignment_list")),
        ]))
    return panels
