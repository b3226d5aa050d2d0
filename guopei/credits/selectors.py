"""Scoped reads of hour records, the county's audit queue, and annual and cycle totals (MGMT-3, MGMT-4).

`recognised_hours_by_teacher(year)` is what the rest of the platform reads to know how many audited hours a
teacher has in a year (selection keeps teachers who already met the year's requirement from being sent again,
MGMT-4): only recognised records count, never pending or rejected ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from guopei.delivery.models import Enrolment, TrainingClass
from guopei.delivery.selectors import managed_classes_for_user
from guopei.orgs.models import Membership
from guopei.orgs.scoping import admin_region_codes, institution_ids_of, region_q, school_ids_of
from guopei.teachers.models import Teacher
from guopei.teachers.roles import TEACHER_ADMIN_ROLES

from .models import HourRecord
from .requirements import Cycle, annual_hours_required, cycle_for

Role = Membership.Role
Status = HourRecord.Status
ZERO = Decimal("0")
HOURS: Any = DecimalField(max_digits=9, decimal_places=1)
CREDITS: Any = DecimalField(max_digits=10, decimal_places=2)
TOTAL = F("theory_hours") + F("practice_hours")


def current_year() -> int:
    return timezone.localdate().year


def _get_or_404(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Records --------------------------------------------------------------------------------------------------
def hour_records_for_user(user: Any) -> QuerySet[HourRecord]:
    """Records a user may see: their regions' (province, city, county), their school's teachers', those of
    their institution's classes, and their own."""
    if not getattr(user, "is_authenticated", False):
        return HourRecord.objects.none()
    q = region_q(user, "region_code", TEACHER_ADMIN_ROLES)
    schools = school_ids_of(user, [Role.SCHOOL_ADMIN])
    if schools:
        q |= Q(teacher__school_id__in=schools)
    institutions = institution_ids_of(user)
    if institutions:
        q |= Q(institution_id__in=institutions)
    q |= Q(teacher__user_id=user.pk)
    return HourRecord.objects.filter(q).select_related("teacher", "teacher__school", "decided_by", "submitted_by")


def access_hour_record_for_user(user: Any, pk: Any) -> HourRecord:
    """Return the record if the user may see it, else raise 404."""
    return _get_or_404(hour_records_for_user(user), pk)


def audited_county_codes(user: Any) -> list[str]:
    """The counties whose records the user audits: those they hold a county administrator role in."""
    return admin_region_codes(user, [Role.COUNTY_ADMIN])


def audit_queue_for_user(user: Any) -> QuerySet[HourRecord]:
    """Pending records of the counties the user audits, oldest first (MGMT-3)."""
    codes = audited_county_codes(user)
    return (HourRecord.objects.filter(region_code__in=codes, status=Status.SUBMITTED)
            .select_related("teacher", "teacher__school", "submitted_by").order_by("submitted_at", "id"))


def access_queued_record_for_user(user: Any, pk: Any) -> HourRecord:
    """A record the user may decide on: in a county they audit (pending or not); otherwise 404."""
    codes = audited_county_codes(user)
    return _get_or_404(HourRecord.objects.filter(region_code__in=codes).select_related("teacher"), pk)


def own_teacher(user: Any) -> Teacher | None:
    """The teacher record linked to this account (Teacher.user), if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Teacher.objects.filter(user=user).select_related("school").first()


# --- Classes whose hours an institution submits ---------------------------------------------------------------
def ended_classes_for_user(user: Any) -> QuerySet[TrainingClass]:
    """The user's institution's ended classes, with trainees who passed and records submitted (MGMT-3)."""
    if not getattr(user, "is_authenticated", False):
        return TrainingClass.objects.none()
    live = ~Q(hour_records__status=Status.REJECTED)
    return (managed_classes_for_user(user).filter(status=TrainingClass.Status.ENDED)
            .select_related("project", "project__plan", "institution")
            .annotate(passed=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED,
                                                          enrolments__result=Enrolment.Result.PASSED),
                                   distinct=True),
                      submitted=Count("hour_records", filter=live & Q(hour_records__isnull=False), distinct=True),
                      recognised=Count("hour_records", filter=Q(hour_records__status=Status.RECOGNISED),
                                       distinct=True))
            .order_by("-end_date", "-id"))


def access_ended_class_for_user(user: Any, pk: Any) -> TrainingClass:
    return _get_or_404(ended_classes_for_user(user), pk)


# --- Totals -----------------------------------------------------------------------------------------------------
def recognised_hours_by_teacher(year: int) -> QuerySet[HourRecord, dict[str, Any]]:
    """Recognised hours of `year` per teacher: rows of teacher_id, hours, practice_hours, credits (MGMT-3/4).

    A queryset, so it can be used as a subquery: `Q(pk__in=recognised_hours_by_teacher(y).filter(
    hours__gte=n).values("teacher_id"))`.
    """
    return (HourRecord.objects.filter(status=Status.RECOGNISED, year=year).order_by().values("teacher_id")
            .annotate(hours=Sum(TOTAL, output_field=HOURS), practice_hours=Sum("practice_hours"),
                      credits=Sum("credits")))


def hours_met_teacher_ids(year: int, required: int | None = None) -> QuerySet[HourRecord, dict[str, Any]]:
    """Ids of teachers whose recognised hours of `year` reach the annual requirement, as a subquery (MGMT-4)."""
    need = annual_hours_required() if required is None else required
    totals: Any = recognised_hours_by_teacher(year)
    return totals.filter(hours__gte=need).values("teacher_id")


def _sum_subquery(records: QuerySet[HourRecord], expression: Any, output: Any) -> Coalesce:
    summed = records.filter(teacher_id=OuterRef("pk")).order_by().values("teacher_id").annotate(
        s=Sum(expression, output_field=output)).values("s")[:1]
    return Coalesce(Subquery(summed, output_field=output), Value(ZERO), output_field=output)


def with_totals(teachers: QuerySet[Teacher], year: int) -> QuerySet[Teacher]:
    """Annotate teachers with `year_hours`, `year_credits`, `cycle_hours`, `cycle_credits` and `pending_hours`
    from their records (one correlated subquery each, no loop over teachers)."""
    cycle = cycle_for(year)
    recognised = HourRecord.objects.filter(status=Status.RECOGNISED)
    in_year = recognised.filter(year=year)
    in_cycle = recognised.filter(year__gte=cycle.first, year__lte=cycle.last)
    return teachers.annotate(
        year_hours=_sum_subquery(in_year, TOTAL, HOURS),
        year_credits=_sum_subquery(in_year, F("credits"), CREDITS),
        cycle_hours=_sum_subquery(in_cycle, TOTAL, HOURS),
        cycle_credits=_sum_subquery(in_cycle, F("credits"), CREDITS),
        pending_hours=_sum_subquery(HourRecord.objects.filter(status=Status.SUBMITTED, year=year), TOTAL, HOURS),
    )


def totals_teachers_for_user(user: Any) -> QuerySet[Teacher]:
    """Teachers whose totals a user may list: the regions they administer and the school they administer."""
    if not getattr(user, "is_authenticated", False):
        return Teacher.objects.none()
    q = region_q(user, "region_code", TEACHER_ADMIN_ROLES)
    schools = school_ids_of(user, [Role.SCHOOL_ADMIN])
    if schools:
        q |= Q(school_id__in=schools)
    return Teacher.objects.filter(q)


@dataclass
class YearLine:
    year: int
    hours: Decimal = ZERO
    practice_hours: Decimal = ZERO
    credits: Decimal = ZERO
    pending_hours: Decimal = ZERO
    required: int = 0

    @property
    def met(self) -> bool:
        return self.hours >= self.required


@dataclass
class Transcript:
    """A teacher's 学分档案: recognised records, totals per year of the cycle, and what is still pending."""

    teacher: Teacher
    year: int
    cycle: Cycle
    lines: list[YearLine]
    records: list[HourRecord]
    pending: list[HourRecord]
    generated_at: Any = field(default_factory=timezone.now)

    @property
    def this_year(self) -> YearLine:
        return next(line for line in self.lines if line.year == self.year)

    @property
    def cycle_hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), ZERO)

    @property
    def cycle_credits(self) -> Decimal:
        return sum((line.credits for line in self.lines), ZERO)

    @property
    def cycle_met(self) -> bool:
        return self.cycle_hours >= self.cycle.hours_required

    @property
    def cycle_remaining(self) -> Decimal:
        return max(ZERO, Decimal(self.cycle.hours_required) - self.cycle_hours)


def transcript_for(teacher: Teacher, year: int | None = None) -> Transcript:
    """Build a teacher's transcript for the cycle containing `year` (two queries)."""
    year = year or current_year()
    cycle = cycle_for(year)
    required = annual_hours_required()
    lines = {y: YearLine(year=y, required=required) for y in cycle.years}
    records = list(HourRecord.objects.filter(teacher=teacher, year__gte=cycle.first, year__lte=cycle.last)
                   .exclude(status=Status.REJECTED).select_related("decided_by").order_by("year", "ended_on", "id"))
    recognised: list[HourRecord] = []
    pending: list[HourRecord] = []
    for record in records:
        line = lines[record.year]
        if record.status == Status.RECOGNISED:
            line.hours += record.total_hours
            line.practice_hours += record.practice_hours
            line.credits += record.credits or ZERO
            recognised.append(record)
        else:
            line.pending_hours += record.total_hours
            pending.append(record)
    return Transcript(teacher=teacher, year=year, cycle=cycle, lines=list(lines.values()), records=recognised,
                      pending=pending)
