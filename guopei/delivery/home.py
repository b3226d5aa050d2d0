"""Home-page panels of delivery: real counts; the province's panel flags severe incidents (TRAINEE-2)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from guopei.core.registry import Panel
from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role, institution_ids_of

from .models import Decision, Enrolment, Incident, LeaveRequest, Offering, Seat, Session, TrainingClass
from .selectors import circumstances_for_user, classes_for_user, incidents_for_user, unread_notices

Role = Membership.Role


def home_panels(user: Any) -> list[Panel]:
    panels: list[Panel] = []
    unread = list(unread_notices(user)[:5])
    if unread:
        panels.append(Panel("通知", order=1, stats=[("未读通知", unread_notices(user).count(),
                                                       reverse("delivery:notice_list"))],
                            template="delivery/_home_notices.html", context={"notices": unread}))
    if has_role(user, Role.TEACHER):
        from .services import teacher_for

        teacher = teacher_for(user)
        if teacher is not None:
            now = timezone.now()
            panels.append(Panel("我的培训", order=5, stats=[
                ("在训班次", Enrolment.objects.filter(teacher=teacher, status=Enrolment.Status.ENROLLED)
                 .exclude(klass__status=TrainingClass.Status.ENDED).count(), reverse("delivery:my_training")),
                ("今天的课次", Session.objects.filter(klass__enrolments__teacher=teacher,
                                                     klass__enrolments__status=Enrolment.Status.ENROLLED,
                                                     date=timezone.localdate()).count(),
                 reverse("delivery:my_training")),
                ("可选培训", Offering.objects.filter(status=Offering.Status.OPEN, opens_at__lte=now, closes_at__gt=now,
                                                    region_code__in=[teacher.region_code,
                                                                     teacher.region_code[:4] + "00",
                                                                     teacher.region_code[:2] + "0000"]).count(),
                 reverse("delivery:offering_list")),
                ("我的选学", Seat.objects.filter(teacher=teacher, status__in=Seat.ACTIVE).count(),
                 reverse("delivery:offering_list")),
            ]))
    if has_role(user, Role.INSTITUTION_STAFF):
        classes = classes_for_user(user).filter(institution_id__in=institution_ids_of(user))
        panels.append(Panel("培训实施", order=20, stats=[
            ("进行中的班次", classes.filter(status=TrainingClass.Status.RUNNING).count(),
             reverse("delivery:class_list") + "?status=running"),
            ("筹备中的班次", classes.filter(status=TrainingClass.Status.PLANNED).count(),
             reverse("delivery:class_list") + "?status=planned"),
            ("今天的课次", Session.objects.filter(klass__in=classes, date=timezone.localdate()).count(),
             reverse("delivery:class_list")),
            ("待批请假", LeaveRequest.objects.filter(enrolment__klass__in=classes, status=Decision.PENDING).count(),
             reverse("delivery:class_list")),
        ]))
    if has_role(user, *PROVINCE_ROLES, Role.CITY_ADMIN, Role.COUNTY_ADMIN):
        classes = classes_for_user(user)
        incidents = incidents_for_user(user)
        severe = list(incidents.filter(severity__in=Incident.SEVERE_LEVELS, status=Incident.Status.OPEN)[:5])
        panels.append(Panel("培训实施与安全", order=21, stats=[
            ("进行中的班次", classes.filter(status=TrainingClass.Status.RUNNING).count(),
             reverse("delivery:class_list") + "?status=running"),
            ("已结班", classes.filter(status=TrainingClass.Status.ENDED).count(),
             reverse("delivery:class_list") + "?status=ended"),
            ("安全事件（处置中）", incidents.filter(status=Incident.Status.OPEN).count(),
             reverse("delivery:incident_list")),
            ("重大安全事件", incidents.filter(severity__in=Incident.SEVERE_LEVELS, status=Incident.Status.OPEN).count(),
             reverse("delivery:incident_list") + "?severe=1"),
        ], template="delivery/_home_severe.html", context={"severe": severe}))
    if has_role(user, Role.COUNTY_ADMIN):
        panels.append(Panel("特殊情况审批", order=22, stats=[
            ("待审批", circumstances_for_user(user).filter(status=Decision.PENDING).count(),
             reverse("delivery:circumstance_list")),
        ]))
    if has_role(user, Role.SCHOOL_ADMIN):
        from .selectors import enrolments_for_user

        mine = enrolments_for_user(user).exclude(status=Enrolment.Status.CANCELLED)
        panels.append(Panel("本校教师参训", order=23, stats=[
            ("在训", mine.filter(status=Enrolment.Status.ENROLLED).exclude(
                klass__status=TrainingClass.Status.ENDED).count(), reverse("delivery:participation")),
            ("已结业", mine.filter(result=Enrolment.Result.PASSED).count(), reverse("delivery:participation")),
        ]))
    return panels
