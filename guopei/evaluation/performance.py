"""Gather the year's observations of the four inputs and turn them into ranked composites (MGMT-7).

An observation is one class's survey (once the class has ended and at least SURVEY_MIN_ANSWERS trainees have
answered), one submitted field visit, one forum or one third-party row, each already on 0-100 (see scoring.py).
Each carries the institution, the region (the class's or the visited place: a county, or the province for
province-wide projects) and the project's category, so the same observations rank institutions, cities,
counties and categories. Province-wide observations count for institutions and categories, not for regions.
A table costs a fixed handful of queries, whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from guopei.orgs.models import Institution, Region
from guopei.orgs.scoping import region_bounds, region_level
from guopei.plans.models import Category

from . import scoring
from .models import Answer, CompositeWeights, FieldVisit, Forum, Response, Survey, ThirdPartyScore
from .selectors import survey_min_answers

DIMENSIONS = {"institution": "培训机构", "city": "市", "county": "县（市、区）", "category": "项目类别"}


@dataclass(frozen=True)
class Observation:
    input: str
    institution_id: int | None
    region_code: str
    category_id: int | None
    value: Decimal


def _region_filter(field: str, within: str | None) -> Q:
    if not within:
        return Q()
    lo, hi = region_bounds(within)
    return Q(**{f"{field}__range": (lo, hi)}) if lo != hi else Q(**{field: lo})


def survey_scores(year: int, *, institution_id: int | None = None, within: str | None = None,
                  today: Any = None) -> dict[int, Decimal]:
    """Each eligible survey's score (0-100, unrounded) by survey id: class ended, enough answers, scale questions."""
    today = today or timezone.localdate()
    surveys = Survey.objects.filter(year=year).filter(_region_filter("region_code", within))
    if institution_id is not None:
        surveys = surveys.filter(institution_id=institution_id)
    surveys = surveys.filter(Q(klass__status="ended") | Q(klass__end_date__lt=today))
    answered = dict(Response.objects.filter(survey__in=surveys).values("survey_id").annotate(n=Count("pk"))
                    .values_list("survey_id", "n"))
    eligible = [pk for pk, n in answered.items() if n >= survey_min_answers()]
    sums = (Answer.objects.filter(response__survey_id__in=eligible, likert__isnull=False)
            .values("response__survey_id").annotate(total=Sum("likert"), n=Count("pk")))
    return {row["response__survey_id"]: scoring.scale_to_100(Decimal(row["total"]) / Decimal(row["n"]))
            for row in sums if row["n"]}


def observations(year: int, *, institution_id: int | None = None, within: str | None = None) -> list[Observation]:
    """Every observation of the year, optionally of one institution or inside one region (5 queries)."""
    found: list[Observation] = []
    scores = survey_scores(year, institution_id=institution_id, within=within)
    for row in Survey.objects.filter(pk__in=list(scores)).values("pk", "institution_id", "region_code",
                                                                 "klass__project__category_id"):
        found.append(Observation("survey", row["institution_id"], row["region_code"],
                                 row["klass__project__category_id"], scores[row["pk"]]))

    def scoped(qs: Any) -> Any:
        qs = qs.filter(year=year).filter(_region_filter("region_code", within))
        return qs.filter(institution_id=institution_id) if institution_id is not None else qs

    for row in scoped(FieldVisit.objects.filter(state=FieldVisit.State.SUBMITTED)).values(
            "institution_id", "region_code", "project__category_id", "score"):
        found.append(Observation("visit", row["institution_id"], row["region_code"], row["project__category_id"],
                                 Decimal(row["score"])))
    for row in scoped(Forum.objects.all()).values("institution_id", "region_code", "project__category_id",
                                                  "klass__project__category_id", "rating"):
        category = row["project__category_id"] or row["klass__project__category_id"]
        found.append(Observation("forum", row["institution_id"], row["region_code"], category,
                                 scoring.scale_to_100(row["rating"])))
    for row in scoped(ThirdPartyScore.objects.all()).values("institution_id", "region_code", "project__category_id",
                                                            "score", "max_score"):
        found.append(Observation("third_party", row["institution_id"], row["region_code"],
                                 row["project__category_id"], scoring.ratio_to_100(row["score"], row["max_score"])))
    return found


def _key(observation: Observation, dimension: str) -> Any:
    code = observation.region_code
    if dimension == "institution":
        return observation.institution_id
    if dimension == "category":
        return observation.category_id
    level = region_level(code)
    if dimension == "city":
        return None if level == Region.Level.PROVINCE else code[:4] + "00"
    if dimension == "county":
        return code if level == Region.Level.COUNTY else None
    raise ValueError(f"unknown dimension {dimension!r}")


def _labels(dimension: str, keys: set[Any]) -> dict[Any, str]:
    if dimension == "institution":
        return dict(Institution.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "category":
        return dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {r.code: r.full_name for r in Region.objects.filter(code__in=keys).select_related("parent")}


def rows_for(year: int, dimension: str, weights: CompositeWeights | dict[str, int], *,
             within: str | None = None, institution_id: int | None = None) -> list[scoring.Row]:
    """Ranked rows of one dimension for the year (without the previous year's figures)."""
    weight_map = weights.as_dict() if isinstance(weights, CompositeWeights) else weights
    grouped: dict[str, dict[Any, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for obs in observations(year, within=within, institution_id=institution_id):
        key = _key(obs, dimension)
        if key is not None:
            grouped[obs.input][key].append(obs.value)
    keys = {k for per_key in grouped.values() for k in per_key}
    return scoring.build_rows(grouped, _labels(dimension, keys), weight_map)


def previous_year(year: int) -> int | None:
    return CompositeWeights.objects.filter(year__lt=year).order_by("-year").values_list("year", flat=True).first()


def table(year: int, dimension: str, *, within: str | None = None,
          institution_id: int | None = None) -> list[scoring.Row]:
    """The year's ranked rows with each row's composite of the previous evaluated year; [] without weights."""
    weights = CompositeWeights.objects.filter(year=year).first()
    if weights is None:
        return []
    rows = rows_for(year, dimension, weights, within=within, institution_id=institution_id)
    before = previous_year(year)
    if before is not None:
        old_weights = CompositeWeights.objects.get(year=before)
        old = {r.key: r.composite for r in rows_for(before, dimension, old_weights, within=within,
                                                    institution_id=institution_id)}
        for row in rows:
            row.previous = old.get(row.key)
    return rows


def institution_composite(institution_id: int, year: int) -> Decimal | None:
    """One institution's composite for the year, or None (no weights, or no input at all)."""
    weights = CompositeWeights.objects.filter(year=year).first()
    if weights is None:
        return None
    rows = rows_for(year, "institution", weights, institution_id=institution_id)
    return rows[0].composite if rows else None


def history(dimension: str, key: Any, *, within: str | None = None) -> list[tuple[int, scoring.Row | None]]:
    """The row of one institution, region or category in every evaluated year, oldest first."""
    result: list[tuple[int, scoring.Row | None]] = []
    institution_id = key if dimension == "institution" else None
    for weights in CompositeWeights.objects.order_by("year"):
        rows = rows_for(weights.year, dimension, weights, within=within, institution_id=institution_id)
        result.append((weights.year, next((r for r in rows if r.key == key), None)))
    return result


def yearly_averages(dimension: str) -> list[tuple[int, Decimal | None, int]]:
    """For each evaluated year: the mean composite of the dimension's rows and how many rows there were."""
    result = []
    for weights in CompositeWeights.objects.order_by("year"):
        values = [r.composite for r in rows_for(weights.year, dimension, weights) if r.composite is not None]
        result.append((weights.year, scoring.mean(values), len(values)))
    return result
