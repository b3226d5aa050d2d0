"""Scoped reads of delivery, the access helpers, execution progress (COURSE-5), and what the credits app reads.

Who sees a class and its trainees:
* the province sees everything;
* the institution's staff see their institution's classes and everything in them;
* a city or county administrator sees the classes with trainees from their region, and those trainees;
* a school administrator (the sending unit) sees the classes and records of their own school's teachers;
* a teacher sees their own enrolments and the classes they are in.
An object out of reach is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import admin_region_codes, has_role, institution_ids_of, region_q, school_ids_of

from .models import (
    Attendance,
    Certificate,
    Dismissal,
    Enrolment,
    Incident,
    IncidentPerson,
    LeaveRequest,
    Notice,
    Offering,
    Seat,
    Session,
    SpecialCircumstance,
    TrainingClass,
)

Role = Membership.Role
LOCAL_ADMIN_ROLES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)


def _get_or_404(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("不在您的查看范围内") from None


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_province(user: Any) -> bool:
    return has_role(user, *PROVINCE_ROLES)


def enrolment_scope_q(user: Any, prefix: str = "") -> Q:
    """Enrolments the user may see (see the module docstring)."""
    if not _authenticated(user):
        return Q(pk__in=[])
    if is_province(user):
        return Q()
    q = region_q(user, f"{prefix}region_code", LOCAL_ADMIN_ROLES)
    schools = school_ids_of(user, [Role.SCHOOL_ADMIN])
    if schools:
        q |= Q(**{f"{prefix}school_id__in": schools})
    institutions = institution_ids_of(user)
    if institutions:
        q |= Q(**{f"{prefix}klass__institution_id__in": institutions})
    q |= Q(**{f"{prefix}teacher__user_id": user.pk})
    return q


def enrolments_for_user(user: Any) -> QuerySet[Enrolment]:
    if not _authenticated(user):
        return Enrolment.objects.none()
    return Enrolment.objects.filter(enrolment_scope_q(user)).select_related(
        "teacher", "school", "klass", "klass__institution")


def access_enrolment_for_user(user: Any, pk: Any) -> Enrolment:
    return _get_or_404(enrolments_for_user(user).select_related("klass__project__plan"), pk)


def classes_for_user(user: Any) -> QuerySet[TrainingClass]:
    if not _authenticated(user):
        return TrainingClass.objects.none()
    qs = TrainingClass.objects.select_related("project", "project__plan", "institution", "head_teacher")
    if is_province(user):
        return qs
    q = Q(institution_id__in=institution_ids_of(user)) | region_q(user, "region_code", LOCAL_ADMIN_ROLES)
    q |= Q(pk__in=Enrolment.objects.filter(enrolment_scope_q(user)).values("klass_id"))
    return qs.filter(q)


def access_class_for_user(user: Any, pk: Any) -> TrainingClass:
    return _get_or_404(classes_for_user(user), pk)


def managed_classes_for_user(user: Any) -> QuerySet[TrainingClass]:
    """Classes the user runs: their institution's."""
    return classes_for_user(user).filter(institution_id__in=institution_ids_of(user))


def access_managed_class_for_user(user: Any, pk: Any) -> TrainingClass:
    return _get_or_404(managed_classes_for_user(user), pk)


def sessions_for_user(user: Any) -> QuerySet[Session]:
    return Session.objects.filter(klass__in=classes_for_user(user)).select_related("klass")


def access_session_for_user(user: Any, pk: Any) -> Session:
    return _get_or_404(sessions_for_user(user), pk)


def access_managed_session_for_user(user: Any, pk: Any) -> Session:
    return _get_or_404(Session.objects.filter(klass__in=managed_classes_for_user(user)).select_related(
        "klass", "klass__institution"), pk)


def attendance_for_user(user: Any) -> QuerySet[Attendance]:
    return Attendance.objects.filter(enrolment_scope_q(user, "enrolment__")).select_related(
        "session", "enrolment__teacher")


# --- self-selection -----------------------------------------------------------------------------------------
def offerings_for_user(user: Any) -> QuerySet[Offering]:
    """The province sees all; an institution its own; a teacher the offerings open to their region (any state,
    so a closed one they hold still shows); region administrators those aimed at their region."""
    if not _authenticated(user):
        return Offering.objects.none()
    qs = Offering.objects.select_related("klass", "klass__institution", "klass__project")
    if is_province(user):
        return qs
    q = Q(klass__institution_id__in=institution_ids_of(user)) | region_q(user, "region_code", LOCAL_ADMIN_ROLES)
    from .services import teacher_for

    teacher = teacher_for(user)
    if teacher is not None:
        code = teacher.region_code
        q |= Q(region_code__in=[code, code[:4] + "00", code[:2] + "0000"])
    return qs.filter(q)


def access_offering_for_user(user: Any, pk: Any) -> Offering:
    return _get_or_404(offerings_for_user(user), pk)


def seats_for_user(user: Any) -> QuerySet[Seat]:
    if not _authenticated(user):
        return Seat.objects.none()
    q = Q(teacher__user_id=user.pk) | Q(offering__klass__institution_id__in=institution_ids_of(user))
    if is_province(user):
        q = Q()
    return Seat.objects.filter(q).select_related("offering", "offering__klass", "teacher")


def access_seat_for_user(user: Any, pk: Any) -> Seat:
    return _get_or_404(seats_for_user(user), pk)


# --- leave, circumstances, dismissals, certificates, incidents, notices --------------------------------------
def leave_requests_for_user(user: Any) -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.filter(enrolment_scope_q(user, "enrolment__")).select_related(
        "enrolment__teacher", "enrolment__klass")


def access_leave_request_for_user(user: Any, pk: Any) -> LeaveRequest:
    return _get_or_404(leave_requests_for_user(user), pk)


def circumstances_for_user(user: Any) -> QuerySet[SpecialCircumstance]:
    return SpecialCircumstance.objects.filter(enrolment_scope_q(user, "enrolment__")).select_related(
        "enrolment__teacher", "enrolment__school", "enrolment__klass", "filed_by", "decided_by")


def access_circumstance_for_user(user: Any, pk: Any) -> SpecialCircumstance:
    return _get_or_404(circumstances_for_user(user), pk)


def dismissals_for_user(user: Any) -> QuerySet[Dismissal]:
    return Dismissal.objects.filter(enrolment_scope_q(user, "enrolment__")).select_related(
        "enrolment__teacher", "enrolment__school", "enrolment__klass", "dismissed_by")


def access_dismissal_for_user(user: Any, pk: Any) -> Dismissal:
    return _get_or_404(dismissals_for_user(user), pk)


def certificates_for_user(user: Any) -> QuerySet[Certificate]:
    return Certificate.objects.filter(enrolment_scope_q(user, "enrolment__")).select_related(
        "enrolment__teacher", "enrolment__klass__institution", "enrolment__klass__project")


def access_certificate_for_user(user: Any, pk: Any) -> Certificate:
    return _get_or_404(certificates_for_user(user), pk)


def incidents_for_user(user: Any) -> QuerySet[Incident]:
    """The province sees every incident; the institution its classes'; a county those involving its trainees."""
    if not _authenticated(user):
        return Incident.objects.none()
    qs = Incident.objects.select_related("klass", "klass__institution", "reported_by")
    if is_province(user):
        return qs
    q = Q(klass__institution_id__in=institution_ids_of(user))
    if admin_region_codes(user, LOCAL_ADMIN_ROLES):
        local = region_q(user, "region_code", LOCAL_ADMIN_ROLES)
        q |= Q(pk__in=IncidentPerson.objects.filter(local).values("incident_id"))
    return qs.filter(q)


def access_incident_for_user(user: Any, pk: Any) -> Incident:
    return _get_or_404(incidents_for_user(user), pk)


def notices_for_user(user: Any) -> QuerySet[Notice]:
    if not _authenticated(user):
        return Notice.objects.none()
    return Notice.objects.filter(recipient_id=user.pk)


def unread_notices(user: Any) -> QuerySet[Notice]:
    return notices_for_user(user).filter(read_at__isnull=True)


# --- execution progress (COURSE-5) --------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectProgress:
    project_id: int
    project_name: str
    classes: int
    sessions_planned: int
    sessions_held: int
    hours_planned: int
    hours_delivered: int
    trainees: int

    @property
    def percent(self) -> int:
        return round(100 * self.hours_delivered / self.hours_planned) if self.hours_planned else 0


def project_progress(classes: QuerySet[TrainingClass]) -> list[ProjectProgress]:
    """Per project: sessions held (register closed) vs planned, and hours delivered vs planned, in two queries."""
    session_rows = (Session.objects.filter(klass__in=classes).values("klass__project_id", "klass__project__name")
                    .annotate(classes=Count("klass_id", distinct=True), planned=Count("pk"),
                              held=Count("pk", filter=Q(register_closed_at__isnull=False)),
                              hours_planned=Sum("hours"),
                              hours_delivered=Sum("hours", filter=Q(register_closed_at__isnull=False)))
                    .order_by("klass__project__name"))
    trainees = dict(Enrolment.objects.filter(klass__in=classes, status__in=[Enrolment.Status.ENROLLED,
                                                                            Enrolment.Status.DISMISSED])
                    .values("klass__project_id").annotate(n=Count("pk")).values_list("klass__project_id", "n"))
    return [ProjectProgress(r["klass__project_id"], r["klass__project__name"], r["classes"], r["planned"],
                            r["held"], r["hours_planned"] or 0, r["hours_delivered"] or 0,
                            trainees.get(r["klass__project_id"], 0)) for r in session_rows]


# --- what the credits app reads (MGMT-3, PLAN-5) -------------------------------------------------------------
def attended_hours(teacher_ids: list[int] | None = None, year: int | None = None) -> QuerySet[Any]:
    """Hours attended per teacher and class, from the attendance records (present or late count; excused and
    absent do not): rows of teacher_id, class_id, year (the programme year of the class's plan),
    theory_hours, practice_hours. Filtered by teachers and by programme year when given."""
    qs = Attendance.objects.filter(status__in=Attendance.ATTENDED)
    if teacher_ids is not None:
        qs = qs.filter(enrolment__teacher_id__in=list(teacher_ids))
    if year is not None:
        qs = qs.filter(session__klass__project__plan__year=year)
    return (qs.values(teacher_id=F("enrolment__teacher_id"), class_id=F("session__klass_id"),
                      year=F("session__klass__project__plan__year"))
            .annotate(theory_hours=Sum("session__hours", filter=Q(session__kind=Session.Kind.THEORY), default=0),
                      practice_hours=Sum("session__hours", filter=Q(session__kind=Session.Kind.PRACTICE),
                                         default=0))
            .order_by("teacher_id", "class_id"))


def completed_enrolments(teacher_ids: list[int] | None = None, year: int | None = None,
                         institution_id: int | None = None) -> QuerySet[Enrolment]:
    """Enrolments that passed the completion assessment (their hours are what the institution submits as
    credits), with teacher, class, project and institution loaded."""
    qs = Enrolment.objects.filter(status=Enrolment.Status.ENROLLED, result=Enrolment.Result.PASSED)
    if teacher_ids is not None:
        qs = qs.filter(teacher_id__in=list(teacher_ids))
    if year is not None:
        qs = qs.filter(klass__project__plan__year=year)
    if institution_id is not None:
        qs = qs.filter(klass__institution_id=institution_id)
    return qs.select_related("teacher", "school", "klass", "klass__project", "klass__project__plan",
                             "klass__institution", "certificate").order_by("klass__end_date", "pk")


def today_sessions_for_teacher(teacher_id: int) -> QuerySet[Session]:
    today = timezone.localdate()
    return Session.objects.filter(klass__enrolments__teacher_id=teacher_id,
                                  klass__enrolments__status=Enrolment.Status.ENROLLED, date=today).select_related(
        "klass").order_by("start_time")
