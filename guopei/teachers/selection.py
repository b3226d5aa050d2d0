"""The selection engine: who may be sent to a project from a county, why not, and in which order (MGMT-4/5/6).

Everything is computed by the database in set-based queries: each reason is a condition on the teacher row or
`id IN (<non-correlated subquery>)`, so a whole county (or province) is judged in one statement, and counts by
reason come from one aggregate. There is no Python loop over teachers. Correlated subqueries appear only in the
ranking of the eligible teachers of one region (reserve-pool priority, participations, last year).

Eligible = meets every target condition of the project and hits no exclusion. The reasons:

* conditions (MGMT-4, the project's target group): segment, post, subject, rural school, backbone level,
  preschool major, years of service (min / max), hired within N years, private kindergarten, programme project
  county, implementation county;
* exclusions: not in active service (MGMT-4); an active three-year integrity ban (MGMT-6, read through
  `selectors.banned_teacher_ids`); the participation cap of the current cycle reached (MGMT-4); this year's
  required hours already met (MGMT-4); already confirmed for another project whose dates overlap (MGMT-4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from guopei.orgs.models import School

from .models import Nomination, Participation, RecognisedHours, ReservePoolEntry, Teacher
from .selectors import COUNTED_RESULTS, CapRule, banned_teacher_ids, effective_cap, region_range_q


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    rule: str
    exclusion: bool  # False: a target condition of the project not met

    @property
    def annotation(self) -> str:
        return f"r_{self.code}"


REASONS: tuple[Reason, ...] = (
    Reason("segment", "学段不符合项目要求", "MGMT-4", False),
    Reason("post", "岗位不符合项目要求", "MGMT-4", False),
    Reason("subject", "任教学科不符合项目要求", "MGMT-4", False),
    Reason("rural", "不在乡村学校", "MGMT-4", False),
    Reason("backbone", "骨干级别不符合项目要求", "MGMT-4", False),
    Reason("preschool_major", "学前教育专业背景不符合项目要求", "MGMT-4", False),
    Reason("service_min", "教龄不足（或缺少首次任教日期）", "MGMT-4", False),
    Reason("service_max", "教龄超过上限（或缺少首次任教日期）", "MGMT-4", False),
    Reason("hired_within", "不是规定年限内新入职（或缺少首次任教日期）", "MGMT-4", False),
    Reason("private_kindergarten", "不在民办幼儿园", "MGMT-4", False),
    Reason("project_county", "所在县区不是本年度国培项目区县", "MGMT-4", False),
    Reason("implementation_county", "所在县区不是本项目的实施县区", "MGMT-4", False),
    Reason("inactive", "不在职（调出、退休或离职）", "MGMT-4", True),
    Reason("banned", "诚信档案禁训期内（三年）", "MGMT-6", True),
    Reason("cap", "本周期参训次数已达上限", "MGMT-4", True),
    Reason("hours_met", "本年度学时已修满", "MGMT-4", True),
    Reason("overlap", "已确认参加时间重叠的其他项目", "MGMT-4", True),
)
REASONS_BY_CODE = {r.code: r for r in REASONS}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class Selection:
    """The judgement of one project over one region's teachers (a county for nominating; wider for overviews)."""

    project: Any
    region_code: str
    on_date: date
    year: int
    cap: CapRule
    cycle: tuple[int, int]
    hours_required: int
    weights: dict[str, int]
    reasons: dict[str, Q] = field(default_factory=dict)  # code → Q matching teachers the reason applies to

    # --- querysets -------------------------------------------------------------------------------------------
    def base(self) -> QuerySet[Teacher]:
        if self.region_code == settings.PROVINCE_CODE:
            # Every teacher belongs to the province: a range test on each of a million rows only slows the scan.
            return Teacher.objects.all()
        return Teacher.objects.filter(region_range_q(self.region_code))

    @property
    def active_reasons(self) -> list[Reason]:
        return [REASONS_BY_CODE[code] for code in self.reasons]

    def failing_q(self) -> Q:
        q = Q(pk__in=[])
        for reason_q in self.reasons.values():
            q |= reason_q
        return q

    def eligible_q(self) -> Q:
        q = Q()
        for reason_q in self.reasons.values():
            q &= ~reason_q
        return q

    def with_reasons(self, qs: QuerySet[Teacher]) -> QuerySet[Teacher]:
        """Annotate each teacher with one boolean per reason that applies to the project."""
        return qs.annotate(**{
            REASONS_BY_CODE[code].annotation: ExpressionWrapper(q, output_field=BooleanField())
            for code, q in self.reasons.items()
        })

    def eligible(self) -> QuerySet[Teacher]:
        """The eligible teachers, best first (reserve pool, fewest participations, longest since last, rural)."""
        return self.ranked(self.base().filter(self.eligible_q()))

    def ineligible(self, reason: str = "") -> QuerySet[Teacher]:
        qs = self.base().filter(self.reasons[reason] if reason in self.reasons else self.failing_q())
        return self.with_reasons(qs).order_by("name_pinyin", "pk")

    def ranked(self, qs: QuerySet[Teacher]) -> QuerySet[Teacher]:
        w = self.weights
        category_q = Q(category__isnull=True)
        if getattr(self.project, "category_id", None):
            category_q |= Q(category_id=self.project.category_id)
        pool = ReservePoolEntry.objects.filter(category_q, teacher_id=OuterRef("pk"))
        counted = Participation.objects.filter(teacher_id=OuterRef("pk"), result__in=COUNTED_RESULTS)
        max_years = w.get("max_years_since_last", 10)
        rural = School.objects.filter(location=School.Location.RURAL).values("pk")
        qs = qs.annotate(
            in_pool=Exists(pool),
            pool_priority=Subquery(pool.order_by().values("teacher_id").annotate(m=Min("priority")).values("m")[:1],
                                   output_field=IntegerField()),
            past_count=Coalesce(Subquery(counted.order_by().values("teacher_id").annotate(n=Count("pk"))
                                         .values("n")[:1], output_field=IntegerField()), 0),
            last_year=Subquery(counted.order_by().values("teacher_id").annotate(y=Max("year")).values("y")[:1],
                               output_field=IntegerField()),
            is_rural=ExpressionWrapper(Q(school_id__in=rural), output_field=BooleanField()),
        ).annotate(
            years_since=Least(Value(self.year) - Coalesce(F("last_year"), Value(self.year - max_years)),
                              Value(max_years), output_field=IntegerField()),
        ).annotate(
            score=ExpressionWrapper(
                Coalesce(Value(w["reserve_pool"]) + Value(w["pool_priority"]) * (Value(10) - F("pool_priority")),
                         Value(0))
                - Value(w["participation"]) * F("past_count")
                + Value(w["year_since_last"]) * F("years_since")
                + Value(w["rural"]) * Case(When(school_id__in=rural, then=Value(1)), default=Value(0)),
                output_field=IntegerField(),
            ),
            nominated=Subquery(Nomination.objects.filter(
                teacher_id=OuterRef("pk"), project=self.project,
                status__in=[Nomination.Status.PROPOSED, Nomination.Status.CONFIRMED],
            ).values("status")[:1]),
        )
        return qs.select_related("school").order_by("-score", "name_pinyin", "pk")

    # --- counts ----------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Totals in one statement: all teachers, eligible, and each reason (a teacher may have several).

        The reasons are computed once per teacher in an inner SELECT and summed outside it, so each reason's
        subquery appears once in the statement (an ORM aggregate with FILTER clauses would repeat every one in
        the eligible count).
        """
        codes = list(self.reasons)
        inner = self.with_reasons(self.base()).order_by().values("pk", *[f"r_{c}" for c in codes])
        sql, params = inner.query.sql_with_params()
        flag = {c: f"CASE WHEN t.r_{c} THEN 1 ELSE 0 END" for c in codes}
        parts = ["COUNT(*)"] + [f"SUM({flag[c]})" for c in codes]
        any_reason = " + ".join(flag.values()) or "0"
        parts.append(f"SUM(CASE WHEN {any_reason} = 0 THEN 1 ELSE 0 END)")
        # OFFSET 0 keeps the planner from merging the inner SELECT into the outer one, which would copy every
        # reason's subquery into each SUM that reads it (measured: twice as slow on both databases).
        fence = " OFFSET 0" if connection.vendor == "postgresql" else " LIMIT -1 OFFSET 0"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)} FROM ({sql}{fence}) t", params)  # noqa: S608 (code-made)
            row = cursor.fetchone()
        values = [int(v or 0) for v in row]
        result = {"total": values[0], "eligible": values[-1]}
        result.update({f"reason_{c}": values[i + 1] for i, c in enumerate(codes)})
        return result

    def reasons_of(self, teacher: Teacher) -> list[Reason]:
        """The reasons annotated on a row from `ineligible()`/`with_reasons()`."""
        return [r for r in self.active_reasons if getattr(teacher, r.annotation, False)]

    def rows_for_export(self) -> Iterator[Teacher]:
        qs = self.with_reasons(self.ranked(self.base()))
        yield from qs.iterator(chunk_size=2000)


def selection_for(project: Any, region_code: str, *, on_date: date | None = None) -> Selection:
    """Build the selection of `project` over the teachers of `region_code` (a county, city or the province)."""
    from guopei.plans.models import ProjectCounty

    year = project.plan.year
    on_date = on_date or project.start_date or max(timezone.localdate(), date(year, 1, 1))
    cap = effective_cap(region_code if len(region_code) == 6 else "")
    cycle = cap.cycle_for(year)
    selection = Selection(
        project=project, region_code=region_code, on_date=on_date, year=year, cap=cap, cycle=cycle,
        hours_required=settings.TEACHERS_ANNUAL_HOURS_REQUIRED, weights=dict(settings.TEACHERS_RANKING_WEIGHTS),
    )
    reasons: dict[str, Q] = {}
    # --- target conditions (MGMT-4) ---
    if project.target_segments:
        reasons["segment"] = ~Q(segment__in=project.target_segments)
    if project.target_posts:
        reasons["post"] = ~Q(post__in=project.target_posts)
    if project.target_subjects:
        reasons["subject"] = ~Q(subject__in=project.target_subjects)
    if project.rural_only:
        reasons["rural"] = ~Q(school_id__in=School.objects.filter(location=School.Location.RURAL).values("pk"))
    if project.target_backbone_levels:
        reasons["backbone"] = ~Q(backbone_level__in=project.target_backbone_levels)
    if project.preschool_major is not None:
        reasons["preschool_major"] = ~Q(preschool_major=project.preschool_major)
    no_date = Q(first_employed_on__isnull=True)
    if project.service_years_min is not None:
        reasons["service_min"] = no_date | Q(first_employed_on__gt=_years_before(on_date, project.service_years_min))
    if project.service_years_max is not None:
        reasons["service_max"] = no_date | Q(
            first_employed_on__lte=_years_before(on_date, project.service_years_max + 1))
    if project.hired_within_years is not None:
        reasons["hired_within"] = no_date | Q(
            first_employed_on__lt=_years_before(on_date, project.hired_within_years))
    if project.private_kindergartens_only:
        reasons["private_kindergarten"] = ~Q(school_id__in=School.objects.filter(
            kind=School.Kind.KINDERGARTEN, is_public=False).values("pk"))
    if project.project_counties_only:
        reasons["project_county"] = ~Q(region_code__in=ProjectCounty.objects.filter(
            year=year, is_programme=True).values("county_id"))
    county_ids = list(project.counties.values_list("pk", flat=True))
    if county_ids:
        reasons["implementation_county"] = ~Q(region_code__in=county_ids)
    # --- exclusions ---
    reasons["inactive"] = ~Q(status=Teacher.Status.ACTIVE)
    reasons["banned"] = Q(pk__in=banned_teacher_ids(on_date))
    # Participations and hours are read only for the region's teachers (a county reads its own, not 3 million).
    scope = Q() if region_code == settings.PROVINCE_CODE else Q(teacher_id__in=selection.base().values("pk"))
    reasons["cap"] = _cap_reached_q(project, cycle, cap.cap, scope)
    reasons["hours_met"] = _hours_met_q(year, selection.hours_required, scope)
    if project.start_date and project.end_date:
        reasons["overlap"] = Q(pk__in=Nomination.objects.filter(
            status=Nomination.Status.CONFIRMED, project__start_date__lte=project.end_date,
            project__end_date__gte=project.start_date,
        ).exclude(project=project).values("teacher_id"))
    selection.reasons = reasons
    return selection


def _cap_reached_q(project: Any, cycle: tuple[int, int], cap: int, scope: Q) -> Q:
    """Teachers with at least `cap` programme participations in the cycle (MGMT-4), in set-based form.

    A participation counts unless the teacher did not show up; a confirmed nomination for another project of the
    cycle counts too, unless a participation of that project is already recorded. With p participations and n
    such nominations the cap is reached when p + n ≥ cap: p ≥ cap alone (one grouped scan), or, for the few
    teachers with nominations, p ≥ k and n ≥ cap − k for some k — grouped, non-correlated subqueries.
    """
    first, last = cycle
    participations = Participation.objects.filter(scope, year__gte=first, year__lte=last,
                                                  result__in=COUNTED_RESULTS)
    if project.pk:
        participations = participations.exclude(project_id=project.pk)
    recorded = Participation.objects.filter(teacher_id=OuterRef("teacher_id"), project_id=OuterRef("project_id"))
    nominations = (Nomination.objects.filter(status=Nomination.Status.CONFIRMED, project__plan__year__gte=first,
                                             project__plan__year__lte=last)
                   .exclude(project_id=project.pk).filter(~Exists(recorded)))

    def at_least(qs: QuerySet[Any], k: int) -> Q:
        return Q(pk__in=qs.order_by().values("teacher_id").annotate(n=Count("pk")).filter(n__gte=k)
                 .values("teacher_id"))

    result = at_least(participations, cap) | at_least(nominations, cap)
    nominated = participations.filter(teacher_id__in=nominations.values("teacher_id"))
    for k in range(1, cap):
        result |= at_least(nominated, k) & at_least(nominations, cap - k)
    return result


def _hours_met_q(year: int, required: int, scope: Q) -> Q:
    """Teachers whose recognised hours this year (completed programme hours + other hours) reach `required`."""
    programme = Participation.objects.filter(scope, year=year, result=Participation.Result.COMPLETED)
    from_programme = (programme.order_by().values("teacher_id").annotate(h=Sum("hours")).filter(h__gte=required)
                      .values("teacher_id"))
    programme_hours = Subquery(programme.filter(teacher_id=OuterRef("teacher_id")).order_by().values("teacher_id")
                               .annotate(h=Sum("hours")).values("h")[:1], output_field=IntegerField())
    with_other = (RecognisedHours.objects.filter(scope, year=year)
                  .annotate(total=F("hours") + Coalesce(programme_hours, Value(0)))
                  .filter(total__gte=required).values("teacher_id"))
    return Q(pk__in=from_programme) | Q(pk__in=with_other)
