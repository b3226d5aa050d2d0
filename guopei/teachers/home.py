"""Home-page cards of the teacher database: counts from the database, scoped to the user."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from guopei.core.registry import Panel
from guopei.orgs.scoping import has_role

from .listing import capped_count
from .models import Nomination, TeacherTransfer
from .roles import INTAKE_ROLES, TEACHER_ADMIN_ROLES
from .selectors import (
    integrity_entries_for_user,
    managed_teachers_for_user,
    nominations_for_user,
    reserve_entries_for_user,
    transfers_for_user,
)


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    if has_role(user, *TEACHER_ADMIN_ROLES):
        count, capped = capped_count(managed_teachers_for_user(user))
        today = timezone.localdate()
        panels.append(Panel("教师库与遴选", order=20, stats=[
            ("教师", f"{count - 1}+" if capped else count, reverse("teachers:teacher_list")),
            ("储备库", reserve_entries_for_user(user).count(), reverse("teachers:reserve_list")),
            ("禁训期内", integrity_entries_for_user(user).filter(annulled_at__isnull=True, ban_until__gt=today)
             .count(), reverse("teachers:integrity_list")),
            ("调动待处理", transfers_for_user(user).filter(status=TeacherTransfer.Status.PENDING).count(),
             reverse("teachers:transfer_list")),
            ("已推荐", nominations_for_user(user).filter(status__in=["proposed", "confirmed"]).count(),
             reverse("teachers:nomination_list")),
        ]))
    elif has_role(user, *INTAKE_ROLES):
        pending = nominations_for_user(user).filter(status=Nomination.Status.PROPOSED, is_alternate=False).count()
        panels.append(Panel("学员推荐审核", order=20, stats=[
            ("待审核", pending, reverse("teachers:nomination_list") + "?status=proposed"),
            ("已确认", nominations_for_user(user).filter(status=Nomination.Status.CONFIRMED).count(),
             reverse("teachers:nomination_list") + "?status=confirmed"),
        ]))
    return panels
