"""The composite performance score (MGMT-7): arithmetic with the year's weights, missing inputs, rankings, regions,
categories, the year comparison, and the past performance the tenders read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guopei.evaluation import performance, scoring, services
from guopei.evaluation.models import ERR_WEIGHTS_SUM, CompositeWeights
from guopei.evaluation.selectors import institution_past_performance
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory

from .factories import answer_all, make_class, project_for, submitted_visit

pytestmark = pytest.mark.django_db

W2020 = {"survey": 40, "visit": 30, "forum": 10, "third_party": 20}


# --- pure arithmetic ------------------------------------------------------------------------------------------------
def test_mgmt7_composite_is_the_weighted_mean_of_the_inputs():
    inputs = {"survey": Decimal("65.00"), "visit": Decimal("88.50"), "forum": Decimal("75.00"),
              "third_party": Decimal("90.00")}
    # (40×65 + 30×88.5 + 10×75 + 20×90) / 100 = 7805 / 100
    assert scoring.composite(inputs, W2020) == Decimal("78.05")


def test_mgmt7_missing_input_weight_is_shared_in_proportion():
    inputs = {"survey": Decimal("65"), "visit": None, "forum": Decimal("75"), "third_party": Decimal("90")}
    # (40×65 + 10×75 + 20×90) / 70 = 5150 / 70 = 73.5714…
    assert scoring.composite(inputs, W2020) == Decimal("73.57")
    assert scoring.composite({k: None for k in W2020}, W2020) is None
    # A zero-weighted input does not count even when present.
    assert scoring.composite({"survey": Decimal(10), "visit": Decimal(90), "forum": None, "third_party": None},
                             {"survey": 0, "visit": 100, "forum": 0, "third_party": 0}) == Decimal("90.00")


def test_mgmt7_composite_rounds_half_up():
    # (1×80.005… ) — 50×80.01 + 50×80.00 = 80.005 → 80.01
    assert scoring.composite({"survey": Decimal("80.01"), "visit": Decimal("80.00"), "forum": None,
                              "third_party": None}, {"survey": 50, "visit": 50, "forum": 0,
                                                     "third_party": 0}) == Decimal("80.01")


def test_mgmt7_normalisation_to_100():
    assert scoring.scale_to_100(1) == 0 and scoring.scale_to_100(5) == 100
    assert scoring.q2(scoring.scale_to_100(Decimal("3.6"))) == Decimal("65.00")
    assert scoring.ratio_to_100(Decimal(45), Decimal(50)) == Decimal(90)


def test_mgmt7_rankings_share_equal_places():
    rows = [scoring.Row(key=k, label=k, composite=Decimal(v) if v else None)
            for k, v in (("甲", "80"), ("乙", "90"), ("丙", "80"), ("丁", None), ("戊", "70"))]
    ranked = scoring.rank_rows(rows)
    assert [(r.label, r.rank) for r in ranked] == [("乙", 1), ("丙", 2), ("甲", 2), ("戊", 4), ("丁", None)]


def test_mgmt7_weights_must_sum_to_100(province_admin):
    with pytest.raises(ValidationError) as exc:
        services.weights_set(actor=province_admin, year=2020, survey=40, visit=30, forum=10, third_party=10)
    assert ERR_WEIGHTS_SUM in exc.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        CompositeWeights.objects.create(year=2021, survey=50, visit=50, forum=50, third_party=0,
                                        set_by=province_admin)
    weights = services.weights_set(actor=province_admin, year=2020, **W2020)
    assert weights.as_dict() == W2020
    services.weights_set(actor=province_admin, year=2020, survey=25, visit=25, forum=25, third_party=25)
    assert CompositeWeights.objects.get(year=2020).survey == 25


# --- from the data -------------------------------------------------------------------------------------------------
@pytest.fixture
def evaluated(province_admin, institution, survey, klass, expert, rubric, project):
    """Institution A: every input in 2020; institution B: a county visit and a county third-party score."""
    services.weights_set(actor=province_admin, year=2020, **W2020)
    answer_all(survey, [5, 4, 4, 3, 2])  # scale mean 3.6 → 65.00
    submitted_visit(actor=province_admin, expert=expert, project=project, institution=institution, rubric=rubric,
                    scores=[Decimal(27), Decimal(36), Decimal("25.5")], klass=klass)  # 88.50
    services.forum_record(actor=province_admin, data={
        "held_on": date(2020, 9, 12), "place": "山西师范大学", "region": Region.objects.get(code="140000"),
        "klass": klass, "participants": 10, "minutes": "纪要", "findings": "发现", "rating": 4})  # 75.00
    b = InstitutionFactory(name="太原师范学院")
    p2 = project_for(province_admin, 2020, "P02")
    make_class(project=p2, institution=b, actor=province_admin, trainees=0, region_code="140105")
    submitted_visit(actor=province_admin, expert=expert, project=p2, institution=b, rubric=rubric,
                    scores=[Decimal(21), Decimal(28), Decimal(21)], region=Region.objects.get(code="140105"))  # 70
    batch_rows = [services.ThirdPartyRow(1, institution.pk, project.pk, "140000", Decimal(45), Decimal(50), ""),
                  services.ThirdPartyRow(2, b.pk, p2.pk, "140105", Decimal(80), Decimal(100), "")]
    services.third_party_import(actor=province_admin, year=2020, agency="评估院", file_name="a.xlsx",
                                content=b"2020", rows=batch_rows)
    return {"a": institution, "b": b, "p2": p2}


def test_mgmt7_institution_composite_from_all_four_inputs(evaluated):
    rows = performance.table(2020, "institution")
    assert [(r.label, r.rank) for r in rows] == [(evaluated["a"].name, 1), ("太原师范学院", 2)]
    a, b = rows
    assert a.inputs == {"survey": Decimal("65.00"), "visit": Decimal("88.50"), "forum": Decimal("75.00"),
                        "third_party": Decimal("90.00")}
    assert a.composite == Decimal("78.05")
    # B has a visit (70) and a third-party score (80): (30×70 + 20×80) / 50 = 74.00
    assert b.inputs["survey"] is None and b.inputs["forum"] is None
    assert b.composite == Decimal("74.00")


def test_mgmt7_region_composites_count_only_observations_in_the_region(evaluated):
    cities = performance.table(2020, "city")
    assert [(r.key, r.composite) for r in cities] == [("140100", Decimal("74.00"))]
    counties = performance.table(2020, "county")
    assert [(r.key, r.label, r.composite) for r in counties] == [("140105", "太原市小店区", Decimal("74.00"))]
    assert performance.table(2020, "city", within="140200") == []


def test_mgmt7_category_composite(evaluated, project):
    rows = performance.table(2020, "category")
    assert len(rows) == 1 and rows[0].key == project.category_id
    # P01 and P02 share the category: visits (88.5, 70) → 79.25; third party (90, 80) → 85; survey 65; forum 75.
    # (40×65 + 30×79.25 + 10×75 + 20×85) / 100 = 74.275 → 74.28
    assert rows[0].inputs["visit"] == Decimal("79.25")
    assert rows[0].composite == Decimal("74.28")


def test_mgmt7_survey_counts_only_after_the_threshold(province_admin, survey):
    services.weights_set(actor=province_admin, year=2020, **W2020)
    answer_all(survey, [5, 5, 5, 5])
    assert performance.table(2020, "institution") == []
    answer_all(survey, [5])
    assert performance.table(2020, "institution")[0].composite == Decimal("100.00")


def test_mgmt7_year_comparison_and_past_performance(evaluated, province_admin):
    a = evaluated["a"]
    p2019 = project_for(province_admin, 2019, "P01")
    services.weights_set(actor=province_admin, year=2019, survey=25, visit=25, forum=25, third_party=25)
    services.third_party_import(actor=province_admin, year=2019, agency="评估院", file_name="b.xlsx", content=b"2019",
                                rows=[services.ThirdPartyRow(1, a.pk, p2019.pk, "140000", Decimal(60),
                                                             Decimal(100), "")])
    row = performance.table(2020, "institution")[0]
    assert (row.composite, row.previous, row.change) == (Decimal("78.05"), Decimal("60.00"), Decimal("18.05"))
    history = performance.history("institution", a.pk)
    assert [(y, r.composite if r else None) for y, r in history] == [(2019, Decimal("60.00")),
                                                                     (2020, Decimal("78.05"))]
    assert institution_past_performance(a, 2021) == Decimal("78.05")
    assert institution_past_performance(a, 2020) == Decimal("60.00")
    assert institution_past_performance(a, 2019) is None
    # B had no result in 2019, so for a 2020 tender it has none.
    assert institution_past_performance(evaluated["b"], 2020) is None
    assert institution_past_performance(evaluated["b"], 2021) == Decimal("74.00")


def test_mgmt7_tenders_read_past_performance_through_their_scoring(evaluated):
    from guopei.tenders import scoring as tender_scoring

    assert tender_scoring.past_performance(evaluated["a"], 2021) == Decimal("78.05")
