"""IT 2.0 progress (PLAN-5): every teacher of every school in an IT 2.0 county, against 50 hours / 25 practice.

The counties are the year's IT 2.0 list (`plans.ProjectCounty.is_it20`). The schools trained "whole school by
whole school" are the kinds the notice names: kindergartens, compulsory-education schools, general high schools
and secondary vocational schools. A teacher counts when active; their IT 2.0 hours are the recognised records
of the year flagged IT 2.0 (classes of IT 2.0 projects, and school-based or other IT 2.0 training the county
recognised). A teacher completes with at least IT20_MIN_HOURS hours of which at least IT20_MIN_PRACTICE_HOURS
are practice. A school's "whole-school completion" is the share of its teachers who completed.

Everything is counted by the database in grouped queries (per school, per county); no loop runs over teachers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.http import Http404

from guopei.orgs.models import Membership, Region, School
from guopei.orgs.scoping import region_q, school_ids_of
from guopei.plans.models import ProjectCounty
from guopei.teachers.models import Teacher

from .models import HourRecord
from .requirements import it20_min_hours, it20_min_practice_hours
from .selectors import HOURS, TOTAL, _sum_subquery

Role = Membership.Role
IT20_SCHOOL_KINDS = (
    School.Kind.KINDERGARTEN, School.Kind.PRIMARY, School.Kind.JUNIOR, School.Kind.NINE_YEAR, School.Kind.SENIOR,
    School.Kind.COMPLETE_SECONDARY, School.Kind.TWELVE_YEAR, School.Kind.VOCATIONAL,
)
# Who sees progress: the province, a city (its counties), a county (its schools), a school (its teachers).
IT20_REGION_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN)
IT20_VIEW_ROLES = (*IT20_REGION_ROLES, Role.SCHOOL_ADMIN)


def it20_years() -> list[int]:
    """Years with an IT 2.0 county list, newest first."""
    return list(ProjectCounty.objects.filter(is_it20=True).order_by("-year").values_list("year", flat=True)
                .distinct())


def it20_county_codes(year: int) -> QuerySet[ProjectCounty, Any]:
    return ProjectCounty.objects.filter(year=year, is_it20=True).values("county_id")


def it20_records(year: int) -> QuerySet[HourRecord]:
    return HourRecord.objects.filter(status=HourRecord.Status.RECOGNISED, year=year, is_it20=True)


def completed_teacher_ids(year: int) -> QuerySet[HourRecord, dict[str, Any]]:
    """Teachers with at least 50 recognised IT 2.0 hours of the year, at least 25 of them practice (PLAN-5)."""
    return (it20_records(year).order_by().values("teacher_id")
            .annotate(h=Sum(TOTAL, output_field=HOURS), p=Sum("practice_hours"))
            .filter(h__gte=it20_min_hours(), p__gte=it20_min_practice_hours()).values("teacher_id"))


def hours_reached_teacher_ids(year: int) -> QuerySet[HourRecord, dict[str, Any]]:
    """Teachers with at least 50 IT 2.0 hours, practice or not (to show who lacks only practice)."""
    return (it20_records(year).order_by().values("teacher_id").annotate(h=Sum(TOTAL, output_field=HOURS))
            .filter(h__gte=it20_min_hours()).values("teacher_id"))


def it20_teachers(year: int) -> QuerySet[Teacher]:
    """Active teachers of the whole-school kinds in the year's IT 2.0 counties."""
    return Teacher.objects.filter(region_code__in=it20_county_codes(year), status=Teacher.Status.ACTIVE,
                                  school__kind__in=IT20_SCHOOL_KINDS)


def it20_scope_q(user: Any) -> Q:
    """Teachers whose progress the user sees: their regions' (province, city, county) and their school's."""
    q = region_q(user, "region_code", IT20_REGION_ROLES)
    schools = school_ids_of(user, [Role.SCHOOL_ADMIN])
    if schools:
        q |= Q(school_id__in=schools)
    return q


def it20_teachers_for_user(user: Any, year: int) -> QuerySet[Teacher]:
    if not getattr(user, "is_authenticated", False):
        return Teacher.objects.none()
    return it20_teachers(year).filter(it20_scope_q(user))


def with_it20_hours(teachers: QuerySet[Teacher], year: int) -> QuerySet[Teacher]:
    """Annotate each teacher with `it20_hours`, `it20_practice` and `it20_complete` (PLAN-5)."""
    records = it20_records(year)
    qs = teachers.annotate(it20_hours=_sum_subquery(records, TOTAL, HOURS),
                           it20_practice=_sum_subquery(records, F("practice_hours"), HOURS))
    return qs.annotate(it20_complete=Case(
        When(Q(it20_hours__gte=it20_min_hours()) & Q(it20_practice__gte=it20_min_practice_hours()),
             then=Value(True)), default=Value(False), output_field=BooleanField()))


@dataclass
class Progress:
    """Counts for one school, county, city or the province."""

    code: str
    name: str
    teachers: int = 0
    complete: int = 0
    hours_only: int = 0  # reached 50 hours but not 25 practice
    schools: int = 0
    whole_schools: int = 0  # schools where every teacher completed
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def share(self) -> Decimal:
        """Share of teachers who completed, in percent with one decimal."""
        if not self.teachers:
            return Decimal("0.0")
        return (Decimal(self.complete) * 100 / Decimal(self.teachers)).quantize(Decimal("0.1"))

    @property
    def not_started(self) -> int:
        return self.teachers - self.complete - self.hours_only

    def add(self, other: Progress) -> None:
        self.teachers += other.teachers
        self.complete += other.complete
        self.hours_only += other.hours_only
        self.schools += other.schools
        self.whole_schools += other.whole_schools


def school_progress(teachers: QuerySet[Teacher], year: int) -> list[Progress]:
    """One row per school of `teachers` (a scoped IT 2.0 teacher queryset), in one grouped query."""
    done = completed_teacher_ids(year)
    reached = hours_reached_teacher_ids(year)
    rows = (teachers.order_by().values("school_id", "school__name", "school__region_code")
            .annotate(n=Count("pk"), c=Count("pk", filter=Q(pk__in=done)),
                      r=Count("pk", filter=Q(pk__in=reached)))
            .order_by("school__region_code", "school__name"))
    result = []
    for row in rows:
        whole = int(row["n"] > 0 and row["c"] == row["n"])
        p = Progress(code=str(row["school_id"]), name=row["school__name"], teachers=row["n"], complete=row["c"],
                     hours_only=row["r"] - row["c"], schools=1, whole_schools=whole)
        p.extra["county_code"] = row["school__region_code"]
        result.append(p)
    return result


@dataclass
class Overview:
    year: int
    total: Progress
    counties: list[Progress]
    cities: list[Progress]


def county_progress(user: Any, year: int) -> Overview:
    """Progress per IT 2.0 county in the user's reach, per city and in total (one grouped query)."""
    counties = list(ProjectCounty.objects.filter(year=year, is_it20=True)
                    .filter(region_q(user, "region_code", IT20_REGION_ROLES))
                    .select_related("county", "county__parent").order_by("region_code"))
    rows: dict[str, Progress] = {
        pc.region_code: Progress(code=pc.region_code, name=pc.county.name,
                                 extra={"city": pc.county.parent.name if pc.county.parent_id else "",
                                        "city_code": pc.county.parent_id or ""})
        for pc in counties
    }
    for school in school_progress(it20_teachers_for_user(user, year).filter(region_code__in=list(rows)), year):
        county = rows.get(school.extra["county_code"])
        if county is not None:
            county.add(school)
    by_city: dict[str, Progress] = {}
    for county in rows.values():
        code = county.extra["city_code"]
        city = by_city.setdefault(code, Progress(code=code, name=county.extra["city"]))
        city.add(county)
    total = Progress(code="", name="合计")
    for city in by_city.values():
        total.add(city)
    return Overview(year=year, total=total, counties=list(rows.values()), cities=list(by_city.values()))


def access_it20_county_for_user(user: Any, year: int, code: str) -> Region:
    """An IT 2.0 county of `year` in the user's reach, else 404."""
    exists = ProjectCounty.objects.filter(year=year, is_it20=True, county_id=code).filter(
        region_q(user, "region_code", IT20_REGION_ROLES)).exists()
    if not exists:
        raise Http404
    return Region.objects.select_related("parent").get(code=code)


def access_it20_school_for_user(user: Any, year: int, pk: Any) -> School:
    """A school of an IT 2.0 county of `year` that the user administers or whose region they administer."""
    try:
        school_id = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    q = region_q(user, "region_code", IT20_REGION_ROLES) | Q(pk__in=school_ids_of(user, [Role.SCHOOL_ADMIN]))
    school = (School.objects.filter(q, pk=school_id, kind__in=IT20_SCHOOL_KINDS,
                                    region_code__in=it20_county_codes(year)).select_related("county").first())
    if school is None:
        raise Http404
    return school


def schools_by_county(progress: list[Progress]) -> dict[str, list[Progress]]:
    grouped: dict[str, list[Progress]] = defaultdict(list)
    for row in progress:
        grouped[row.extra["county_code"]].append(row)
    return grouped
