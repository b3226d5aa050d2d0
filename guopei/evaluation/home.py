"""Home-page panels of the evaluation, with counts from the database (MGMT-7)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guopei.core.registry import Panel
from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .models import Bulletin, FieldVisit
from .selectors import (
    LOCAL_ROLES,
    bulletins_for_user,
    forums_for_user,
    is_province,
    surveys_for_user,
    tokens_for_teacher,
    visits_for_user,
    weighted_years,
)

Role = Membership.Role


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    if is_province(user):
        bulletins = bulletins_for_user(user)
        visits = visits_for_user(user)
        panels.append(Panel("绩效评估", order=45, stats=[
            ("发起评教的班次", surveys_for_user(user).count(), reverse("evaluation:survey_list")),
            ("待提交的实地调研", visits.filter(state=FieldVisit.State.ASSIGNED).count(),
             reverse("evaluation:visit_list") + "?state=assigned"),
            ("学员座谈", forums_for_user(user).count(), reverse("evaluation:forum_list")),
            ("已设权重的年度", len(weighted_years()), reverse("evaluation:weights")),
            ("通报草稿", bulletins.filter(status=Bulletin.Status.DRAFT).count(), reverse("evaluation:bulletin_list")),
            ("已发布通报", bulletins.filter(status=Bulletin.Status.PUBLISHED).count(),
             reverse("evaluation:bulletin_list")),
        ]))
    elif has_role(user, *LOCAL_ROLES, Role.INSTITUTION_STAFF):
        stats: list[tuple[str, Any, str]] = [
            ("收到的通报", bulletins_for_user(user).count(), reverse("evaluation:bulletin_list")),
            ("学员评教", surveys_for_user(user).count(), reverse("evaluation:survey_list")),
            ("学员座谈", forums_for_user(user).count(), reverse("evaluation:forum_list")),
        ]
        if has_role(user, Role.INSTITUTION_STAFF):
            stats.insert(1, ("已完成的专家调研", visits_for_user(user).filter(
                state=FieldVisit.State.SUBMITTED).count(), reverse("evaluation:visit_list")))
        panels.append(Panel("绩效评估", order=45, stats=stats))
    if has_role(user, Role.EXPERT):
        mine = visits_for_user(user).filter(expert__user_id=user.pk)
        panels.append(Panel("专家实地调研", order=46, stats=[
            ("待调研", mine.filter(state=FieldVisit.State.ASSIGNED).count(), reverse("evaluation:visit_list")),
            ("已提交", mine.filter(state=FieldVisit.State.SUBMITTED).count(), reverse("evaluation:visit_list")),
        ]))
    if has_role(user, Role.TEACHER):
        tokens = tokens_for_teacher(user)
        panels.append(Panel("学员评教", order=46, stats=[
            ("待评教", tokens.filter(used_on__isnull=True, survey__closed_at__isnull=True).count(),
             reverse("evaluation:my_surveys")),
            ("已评教", tokens.filter(used_on__isnull=False).count(), reverse("evaluation:my_surveys")),
        ]))
    return panels
