"""The selection engine: who may be sent to a project from a county, why not, and in which order (MGMT-4/5/6).

Everything is computed by the database in set-based queries, so a whole county (or province) is judged in one
statement and there is no Python loop over teachers. A reason is either a condition on the teacher row, or
membership of a `TeacherSet`: the teachers whose weighted rows in other tables (bans, participations,
nominations, hours) add up to a threshold, one grouped, non-correlated subquery. Correlated subqueries appear
only in the ranking of the eligible teachers of one region (reserve-pool priority, participations, last year).

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
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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
    Value,
    When,
)
from django.db.models.expressions import RawSQL
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


@dataclass(frozen=True)
class TeacherSet:
    """Teachers whose rows in `sources` weigh at least `at_least` in total, as one grouped subquery.

    Each source is a queryset of `(teacher_id, w)`; the set is `SELECT teacher_id FROM (<sources, UNION ALL>)
    GROUP BY teacher_id HAVING SUM(w) >= at_least`, each teacher at most once. Sources should be limited to the
    selection's region (then the set's size is the number of its teachers the reason applies to). The SQL is
    made from the sources' ORM-compiled SQL and their parameters; nothing in it comes from user input.

    On PostgreSQL the union is sorted by teacher before it is grouped. PostgreSQL cannot estimate how many
    teachers a UNION ALL holds (it assumes 200), so it would group it in a hash table, or in a parallel plan
    that sorts on disk; for the cycle cap (1.1 million participations of 700,000 teachers, read from the
    covering index) sorting then grouping is faster (the benchmark project's sets: 0.80 → 0.53 s). SQLite
    sorts for the GROUP BY anyway, and an ORDER BY would make it sort twice.
    """

    sql: str
    params: tuple[Any, ...]

    @classmethod
    def tally(cls, sources: list[QuerySet[Any, Any]], at_least: int) -> TeacherSet:
        parts = [qs.order_by().query.sql_with_params() for qs in sources]
        union = " UNION ALL ".join(sql for sql, _ in parts)
        if connection.vendor == "postgresql":
            union += " ORDER BY 1"
        sql = f"SELECT u.teacher_id FROM ({union}) u GROUP BY u.teacher_id HAVING SUM(u.w) >= %s"  # noqa: S608
        return cls(sql, (*[p for _, part_params in parts for p in part_params], at_least))

    def q(self) -> Q:
        """Teacher rows in the set."""
        return Q(pk__in=RawSQL(self.sql, self.params))  # noqa: S611 (ORM-compiled, see above)


def _weighted(qs: QuerySet[Any], weight: Any = 1) -> QuerySet[Any, Any]:
    """`qs` as rows of (teacher_id, w), a source for `TeacherSet.tally`."""
    return qs.order_by().values("teacher_id").annotate(
        w=weight if hasattr(weight, "resolve_expression") else Value(weight, output_field=IntegerField()))


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
    sets: dict[str, TeacherSet] = field(default_factory=dict)  # code → its set, for the reasons that are one

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
        """The eligible teachers, best first (reserve pool, fewest participations, longest since last, rural).

        Each reason is tested as a value that must not be true, `NOT (<reason>)`, rather than through
        `eligible_q()`, whose double negations the ORM cancels: `school_id IN (<rural schools>)` would then be an
        indexable condition, and SQLite would read a county's eligible teachers through the rural schools of the
        whole province (measured 1.3 s for a county's first page, against 0.1 s through the county's index).
        """
        return self.ranked(self.base().filter(*[
            ~ExpressionWrapper(q, output_field=BooleanField()) for q in self.reasons.values()
        ]))

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

        The row conditions are computed once per teacher in an inner SELECT and counted outside it. Each
        `TeacherSet` is built once, in the WITH clause: its size is its reason's count, and it is probed only
        for the teachers that meet every row condition (the ones that may still be eligible: `AND` stops at the
        first false term), not for every teacher of the region.
        """
        postgres = connection.vendor == "postgresql"
        row_codes = [c for c in self.reasons if c not in self.sets]
        set_codes = [c for c in self.reasons if c in self.sets]
        inner = self.base().annotate(**{
            f"r_{c}": ExpressionWrapper(self.reasons[c], output_field=BooleanField()) for c in row_codes
        }).order_by().values("pk", *[f"r_{c}" for c in row_codes])
        inner_sql, inner_params = inner.query.sql_with_params()
        # Column and table names below come from REASONS' codes, the SQL from the ORM: no user input.
        # `IS NOT TRUE`: a condition that yields NULL is not a reason (as in the row annotations).
        may_be_eligible = " AND ".join([f"t.r_{c} IS NOT TRUE" for c in row_codes]
                                       + [f"NOT (t.pk IN (SELECT teacher_id FROM s_{c}))"  # noqa: S608
                                          for c in set_codes])
        columns = ", ".join(["COUNT(*)", *[f"COUNT(*) FILTER (WHERE t.r_{c})" for c in row_codes],
                             f"COUNT(*) FILTER (WHERE {may_be_eligible or '1 = 1'})"])
        # OFFSET 0 keeps the planner from merging the inner SELECT into the outer one, which would copy each row
        # condition's subquery into every count that reads it (measured: twice as slow on both databases).
        fence = " OFFSET 0" if postgres else " LIMIT -1 OFFSET 0"
        # MATERIALIZED: each set is built once though read twice (SQLite does so unasked).
        materialized = " MATERIALIZED" if postgres else ""
        ctes = [f"s_{c}(teacher_id) AS{materialized} ({self.sets[c].sql})" for c in set_codes]
        sizes = "".join(f", (SELECT COUNT(*) FROM s_{c})" for c in set_codes)  # noqa: S608
        with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
        statement = f"{with_clause}SELECT c.*{sizes} FROM (SELECT {columns} FROM ({inner_sql}{fence}) t) c"  # noqa: S608
        params = (*[p for c in set_codes for p in self.sets[c].params], *inner_params)
        # A transaction only for SET LOCAL: on SQLite (BEGIN IMMEDIATE) it would take the write lock for a read.
        with transaction.atomic(savepoint=False) if postgres else nullcontext(), connection.cursor() as cursor:
            if postgres:
                # No JIT compilation for this statement (nor, as SET LOCAL goes, for the rest of the
                # transaction). The statement's estimated cost is close to the threshold above which PostgreSQL
                # also optimises and inlines the compiled code, which measured at 1,000,000 teachers costs 0.5 s
                # more (1.5–2.6 s on the earlier form of the statement); compiled, it runs no faster.
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(statement, params)
            values = [int(v or 0) for v in cursor.fetchone()]
        # total, one count per row condition, eligible, then one size per set
        n = len(row_codes)
        by_code = dict(zip(row_codes + set_codes, values[1:n + 1] + values[n + 2:], strict=True))
        return {"total": values[0], "eligible": values[n + 1], **{f"reason_{c}": by_code[c] for c in self.reasons}}

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
    # Participations, bans, hours and nominations are read only for the region's teachers (a county reads its
    # own, not 3 million), which also makes each set's size its reason's count in the region.
    scope = Q() if region_code == settings.PROVINCE_CODE else Q(teacher_id__in=selection.base().values("pk"))
    sets = {
        "banned": TeacherSet.tally([_weighted(banned_teacher_ids(on_date).filter(scope))], 1),
        "cap": _cap_reached(project, cycle, cap.cap, scope),
        "hours_met": _hours_met(year, selection.hours_required, scope),
    }
    if project.start_date and project.end_date:
        sets["overlap"] = TeacherSet.tally([_weighted(Nomination.objects.filter(
            scope, status=Nomination.Status.CONFIRMED, project__start_date__lte=project.end_date,
            project__end_date__gte=project.start_date,
        ).exclude(project=project))], 1)
    reasons.update({code: teacher_set.q() for code, teacher_set in sets.items()})
    selection.sets = sets
    selection.reasons = reasons
    return selection


def _cap_reached(project: Any, cycle: tuple[int, int], cap: int, scope: Q) -> TeacherSet:
    """Teachers with at least `cap` programme participations in the cycle (MGMT-4), as one grouped set.

    A participation counts unless the teacher did not show up; a confirmed nomination for another project of the
    cycle counts too, unless a participation of that project is already recorded. The participations of this
    project itself do not count: they are tallied again with weight −1 (a handful of rows found through the
    project index) rather than excluded, so that the million-row count reads only the covering index
    `participation_year_teacher_res (year, teacher, result)` and never the table.
    """
    first, last = cycle
    counted = Participation.objects.filter(scope, year__gte=first, year__lte=last, result__in=COUNTED_RESULTS)
    sources = [_weighted(counted)]
    # Only when there are any: SQLite, whose statistics count the many NULL project ids as one value, would
    # otherwise read the cycle's participations a second time to find none.
    if project.pk and Participation.objects.filter(project_id=project.pk).exists():
        sources.append(_weighted(counted.filter(project_id=project.pk), -1))
    recorded = Participation.objects.filter(teacher_id=OuterRef("teacher_id"), project_id=OuterRef("project_id"))
    nominations = (Nomination.objects.filter(scope, status=Nomination.Status.CONFIRMED,
                                             project__plan__year__gte=first, project__plan__year__lte=last)
                   .exclude(project_id=project.pk).filter(~Exists(recorded)))
    sources.append(_weighted(nominations))
    return TeacherSet.tally(sources, cap)


def _hours_met(year: int, required: int, scope: Q) -> TeacherSet:
    """Teachers whose recognised hours this year (completed programme hours + other hours) reach `required`."""
    programme = Participation.objects.filter(scope, year=year, result=Participation.Result.COMPLETED)
    other = RecognisedHours.objects.filter(scope, year=year)
    return TeacherSet.tally([_weighted(programme, F("hours")), _weighted(other, F("hours"))], required)
