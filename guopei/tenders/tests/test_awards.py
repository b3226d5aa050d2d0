"""Evaluation, sealed scores, awards, fallback, contracts and funds, continuations, the IT 2.0 cap and expert
selection after a failed tender (TENDER-1, TENDER-2, TENDER-6, PLAN-6)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from guopei.core.models import AuditEvent
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory
from guopei.plans.models import Commitment
from guopei.plans.services import FundsError
from guopei.tenders import scoring, services
from guopei.tenders.models import Award, ContractComponent, CoursePlan, ExpertAssignment, Tender

from .factories import (
    AWARDING,
    OPENING,
    SIGNING,
    expert,
    make_tender,
    panel,
    remote_institution,
    run_to_award,
    score_all,
    submit_bid,
)

pytestmark = pytest.mark.django_db
S = Tender.Status
SELECTION = ExpertAssignment.Stage.SELECTION


@pytest.fixture
def three_bids(lot, province_admin, institution, staff, remote, rivals):
    """A tender with three valid consortium bids, each with its own remote-listed partner for the workshop."""
    tender = make_tender(lot, province_admin)
    partners = [remote, remote_institution("奥鹏教师教育网"), remote_institution("全国中小学教师继续教育网")]
    leads = [institution, rivals[0], rivals[1]]
    prices = ["300000", "280000", "350000"]
    bids = []
    for lead, partner, price in zip(leads, partners, prices, strict=True):
        bids.append(submit_bid(tender, lead, staff=staff if lead == institution else None, partners=(partner,),
                               price=price))
    assert all(b.is_valid for b in bids)
    return tender, bids


def test_full_lifecycle_ends_in_contract_commitment_and_course_plan(three_bids, province_admin, experts, budget):
    tender, bids = three_bids
    scores = {bids[0].pk: (95, 90), bids[1].pk: (70, 70), bids[2].pk: (85, 85)}
    award = run_to_award(tender, province_admin, experts, scores)
    tender.refresh_from_db()
    assert tender.status == S.STANDSTILL
    assert award.institution == bids[0].lead and award.rank == 1 and award.amount == Decimal("300000.00")
    bids[0].refresh_from_db()
    bids[1].refresh_from_db()
    # price 280000/300000 × 100 = 93.33; weights 30/40/20 with past performance redistributed (no evaluation app).
    expected = scoring.q2((Decimal(30) * Decimal("93.33") + Decimal(40) * 95 + Decimal(20) * 90) / 90)
    assert bids[0].score == expected
    assert bids[1].rank == 3
    with pytest.raises(services.TenderError, match="公示期满"):
        services.contract_sign(award=award, actor=province_admin, now=AWARDING + timedelta(days=1))
    contract = services.contract_sign(award=award, actor=province_admin, now=SIGNING)
    tender.refresh_from_db()
    award.refresh_from_db()
    assert tender.status == S.COMPLETE and award.status == Award.Status.CONTRACTED
    commitment = Commitment.objects.get()
    assert commitment == contract.commitment and commitment.amount == Decimal("300000.00")
    assert commitment.payee == bids[0].lead.name and tender.code in commitment.reference
    assert set(contract.members.values_list("role", flat=True)) == {"lead", "partner"}
    assert ContractComponent.objects.filter(contract=contract).count() == tender.project.components.count()
    assert CoursePlan.objects.get(award=award).status == CoursePlan.Status.DRAFT
    history = list(tender.events.order_by("id").values_list("to_status", flat=True))
    assert history == ["draft", "tendering", "qualification", "evaluation", "standstill", "complete"]


def test_scores_are_sealed_until_every_expert_submitted(three_bids, province_admin, experts):
    tender, _bids = three_bids
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    assignments = panel(tender, province_admin, experts)
    services.tender_start_evaluation(tender=tender, actor=province_admin)
    score_all(assignments[:2])
    assert not services.panel_complete(tender, ExpertAssignment.Stage.EVALUATION)
    with pytest.raises(services.TenderError, match="评分结果暂不公开"):
        services.award_make(tender=tender, actor=province_admin, now=AWARDING)
    assert not Award.objects.exists()
    score_all(assignments[2:])
    assert services.panel_complete(tender, ExpertAssignment.Stage.EVALUATION)
    services.award_make(tender=tender, actor=province_admin, now=AWARDING)


def test_expert_must_declare_before_scoring_and_cannot_change_after_submitting(three_bids, province_admin, experts):
    tender, bids = three_bids
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    assignments = panel(tender, province_admin, experts)
    services.tender_start_evaluation(tender=tender, actor=province_admin)
    first = assignments[0]
    user = first.expert.user
    with pytest.raises(services.TenderError, match="声明"):
        services.score_save(assignment=first, actor=user, bid=bids[0], technical=80, team=80)
    services.expert_declare(assignment=first, actor=user, no_conflict=True)
    with pytest.raises(services.TenderError, match="0到100"):
        services.score_save(assignment=first, actor=user, bid=bids[0], technical=101, team=80)
    services.score_save(assignment=first, actor=user, bid=bids[0], technical=80, team=80)
    with pytest.raises(services.TenderError, match="未评分"):
        services.scores_submit(assignment=first, actor=user)
    for bid in bids[1:]:
        services.score_save(assignment=first, actor=user, bid=bid, technical=70, team=70)
    services.scores_submit(assignment=first, actor=user)
    with pytest.raises(services.TenderError, match="不能再修改"):
        services.score_save(assignment=first, actor=user, bid=bids[0], technical=10, team=10)
    other = assignments[1].expert.user
    with pytest.raises(services.TenderError, match="不是您的"):
        services.expert_declare(assignment=first, actor=other, no_conflict=True)


def test_expert_linked_to_a_bidder_is_refused_and_audited(three_bids, province_admin, institution):
    tender, _bids = three_bids
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    linked = expert("赵冲突", linked=(institution,))
    with pytest.raises(services.ConflictOfInterest, match=institution.name):
        services.expert_assign(tender=tender, actor=province_admin, expert=linked)
    assert not ExpertAssignment.objects.exists()
    assert AuditEvent.objects.filter(action="tenders.expert_conflict_refused").exists()


def test_expert_declaring_a_conflict_recuses(three_bids, province_admin, experts):
    tender, _bids = three_bids
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    assignments = panel(tender, province_admin, experts)
    with pytest.raises(services.TenderError, match="说明"):
        services.expert_declare(assignment=assignments[0], actor=experts[0].user, no_conflict=False)
    services.expert_declare(assignment=assignments[0], actor=experts[0].user, no_conflict=False,
                            reason="曾任该校兼职教授")
    with pytest.raises(services.TenderError, match="至少3人"):
        services.tender_start_evaluation(tender=tender, actor=province_admin)


def test_expert_without_account_cannot_be_assigned(three_bids, province_admin):
    from guopei.orgs.tests.factories import ExpertFactory

    tender, _ = three_bids
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    with pytest.raises(services.TenderError, match="没有平台账号"):
        services.expert_assign(tender=tender, actor=province_admin, expert=ExpertFactory())


def test_award_fallback_to_next_when_winner_declines(three_bids, province_admin, experts):
    tender, bids = three_bids
    scores = {bids[0].pk: (95, 95), bids[1].pk: (60, 60), bids[2].pk: (90, 90)}
    first = run_to_award(tender, province_admin, experts, scores)
    with pytest.raises(services.TenderError, match="原因"):
        services.award_end(award=first, actor=province_admin, status="declined", reason=" ")
    second = services.award_end(award=first, actor=province_admin, status="declined", reason="无法组建团队",
                                now=AWARDING + timedelta(days=1))
    first.refresh_from_db()
    assert first.status == Award.Status.DECLINED
    assert second.fallback_from == first and second.institution == bids[2].lead and second.rank == 2
    assert second.standstill_until == AWARDING + timedelta(days=4)
    assert "递补" in tender.events.order_by("id").last().note
    third = services.award_end(award=second, actor=province_admin, status="disqualified", reason="资质造假",
                               now=AWARDING + timedelta(days=2))
    assert third.institution == bids[1].lead and third.fallback_from == second
    bids[2].refresh_from_db()
    assert not bids[2].is_valid
    none_left = services.award_end(award=third, actor=province_admin, status="declined", reason="放弃",
                                   now=AWARDING + timedelta(days=3))
    tender.refresh_from_db()
    assert none_left is None and tender.status == S.FAILED
    assert "没有其他有效投标" in tender.failure_reason


def test_award_to_an_invalid_bid_is_impossible(lot, province_admin, institution, staff, remote, rivals, experts):
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    good = submit_bid(tender, rivals[0], partners=(remote,), price="390000")
    bad = submit_bid(tender, institution, staff=staff, price="100000")  # workshop kept by a non-listed lead
    assert good.is_valid and not bad.is_valid
    award = run_to_award(tender, province_admin, experts)
    assert award.bid == good
    bad.refresh_from_db()
    assert bad.rank is None


def test_disqualified_bid_is_excluded(three_bids, province_admin, experts):
    tender, bids = three_bids
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    with pytest.raises(services.TenderError, match="原因"):
        services.bid_disqualify(bid=bids[0], actor=province_admin, reason="")
    services.bid_disqualify(bid=bids[0], actor=province_admin, reason="社保证明缺失")
    services.tender_start_evaluation(tender=tender, actor=province_admin)
    tender.refresh_from_db()
    assert tender.status == S.FAILED  # two valid bids left, three needed


def test_commitment_over_budget_refused_without_finance_override(lot, province_admin, finance_officer,
                                                                   institution, staff, remote, experts):
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    submit_bid(tender, institution, staff=staff, partners=(remote,), price="450000")
    award = run_to_award(tender, province_admin, experts)
    with pytest.raises(FundsError, match="超出"):
        services.contract_sign(award=award, actor=province_admin, now=SIGNING)
    award.refresh_from_db()
    assert award.status == Award.Status.STANDSTILL and not Commitment.objects.exists()
    with pytest.raises(FundsError, match="财政厅经办人"):
        services.contract_sign(award=award, actor=province_admin, override_reason="急需", now=SIGNING)
    contract = services.contract_sign(award=award, actor=finance_officer, override_reason="省级追加经费已批复",
                                      now=SIGNING)
    assert contract.commitment.override_reason == "省级追加经费已批复"
    assert AuditEvent.objects.filter(action="plans.funds_override").exists()


# --- TENDER-1 continuation ------------------------------------------------------------------------------
def test_tender1_continuation_awarded_directly_to_2019_institution(continuing, lot, province_admin):
    award = services.award_continuation(project=continuing, actor=province_admin, amount="380000", now=SIGNING)
    assert award.kind == Award.Kind.CONTINUATION and award.tender is None
    assert award.institution.name == "太原师范学院" and award.status == Award.Status.CONTRACTED
    assert "2019年乡村教师培训" in award.reference_2019
    assert award.contract.commitment.amount == Decimal("380000.00")
    assert "延续2019年" in award.contract.commitment.reference
    assert CoursePlan.objects.filter(award=award).exists()
    with pytest.raises(services.TenderError, match="已确定承训机构"):
        services.award_continuation(project=continuing, actor=province_admin, amount="1000", now=SIGNING)
    with pytest.raises(services.TenderError, match="TENDER-1"):
        services.award_continuation(project=lot, actor=province_admin, amount="1000", now=SIGNING)


# --- TENDER-2 IT 2.0 cap --------------------------------------------------------------------------------
def _it20_award(it20, province_admin, county_code: str, winner, experts, n: int) -> Award:
    county = Region.objects.get(code=county_code)
    tender = make_tender(it20, province_admin, code=f"IT-{county_code}", county=county, min_valid_bids=1)
    submit_bid(tender, winner, price="40000")
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    assignments = panel(tender, province_admin, experts)
    services.tender_start_evaluation(tender=tender, actor=province_admin)
    score_all(assignments)
    return services.award_make(tender=tender, actor=province_admin, now=AWARDING)


COUNTIES = ["140105", "140106", "140107", "140108", "140109", "140110", "140213"]


def test_tender2_it20_cap_allows_exactly_five_distinct_institutions(it20, province_admin, experts):
    winners = [InstitutionFactory(name=f"信息技术承训机构{n}") for n in range(5)]
    for n, winner in enumerate(winners):
        _it20_award(it20, province_admin, COUNTIES[n], winner, experts, n)
    assert len(services.it20_institutions(it20.plan)) == 5
    # A sixth county won by one of the five is fine: still five distinct institutions.
    _it20_award(it20, province_admin, COUNTIES[5], winners[0], experts, 5)
    assert len(services.it20_institutions(it20.plan)) == 5


def test_tender2_it20_cap_refuses_a_sixth_institution(it20, province_admin, experts):
    for n in range(5):
        _it20_award(it20, province_admin, COUNTIES[n], InstitutionFactory(name=f"信息技术承训机构{n}"), experts, n)
    sixth = InstitutionFactory(name="第六家机构")
    with pytest.raises(services.CapExceeded, match="TENDER-2") as refused:
        _it20_award(it20, province_admin, COUNTIES[5], sixth, experts, 5)
    assert "5家" in str(refused.value)
    tender = Tender.objects.get(code="IT-140110")
    assert tender.status == S.EVALUATION and not tender.awards.exists()


@override_settings(IT20_MAX_INSTITUTIONS=2)
def test_tender2_cap_is_a_setting(it20, province_admin, experts):
    for n in range(2):
        _it20_award(it20, province_admin, COUNTIES[n], InstitutionFactory(name=f"机构{n}"), experts, n)
    with pytest.raises(services.CapExceeded):
        _it20_award(it20, province_admin, COUNTIES[2], InstitutionFactory(name="机构X"), experts, 2)


def test_tender2_declined_award_frees_its_place_under_the_cap(it20, province_admin, experts):
    awards = [_it20_award(it20, province_admin, COUNTIES[n], InstitutionFactory(name=f"机构{n}"), experts, n)
              for n in range(5)]
    services.award_end(award=awards[0], actor=province_admin, status="declined", reason="放弃",
                       now=AWARDING + timedelta(days=1))
    _it20_award(it20, province_admin, COUNTIES[5], InstitutionFactory(name="新机构"), experts, 5)
    assert len(services.it20_institutions(it20.plan)) == 5


# --- TENDER-6 expert selection --------------------------------------------------------------------------
def test_tender6_failed_tender_goes_to_expert_selection_and_award(lot, province_admin, institution, staff, remote,
                                                                 rivals, experts, budget):
    tender = make_tender(lot, province_admin)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    with pytest.raises(services.TenderError, match="TENDER-6"):
        services.selection_start(tender=tender, actor=province_admin)
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    tender.refresh_from_db()
    assert tender.status == S.FAILED
    selection = services.selection_start(tender=tender, actor=province_admin)
    for candidate in (institution, rivals[0], rivals[1]):
        services.candidate_add(selection=selection, actor=province_admin, institution=candidate, note="具备资质")
    with pytest.raises(services.TenderError, match="已在候选名单"):
        services.candidate_add(selection=selection, actor=province_admin, institution=rivals[0])
    linked = expert("钱关联", linked=(rivals[1],))
    with pytest.raises(services.ConflictOfInterest):
        services.expert_assign(tender=tender, actor=province_admin, expert=linked, stage=SELECTION)
    assignments = panel(tender, province_admin, experts, stage=SELECTION)
    services.selection_start_scoring(selection=selection, actor=province_admin)
    candidates = list(selection.candidates.all())
    marks = {candidates[0].pk: 80, candidates[1].pk: 92, candidates[2].pk: 70}
    for n, assignment in enumerate(assignments):
        user = assignment.expert.user
        services.expert_declare(assignment=assignment, actor=user, no_conflict=True)
        for candidate in candidates:
            services.candidate_score_save(assignment=assignment, actor=user, candidate=candidate,
                                          score=marks[candidate.pk])
        if n < 2:
            services.scores_submit(assignment=assignment, actor=user)
    with pytest.raises(services.TenderError, match="暂不公开"):
        services.selection_confirm(selection=selection, actor=province_admin, amount="300000", now=AWARDING)
    services.scores_submit(assignment=assignments[2], actor=assignments[2].expert.user)
    award = services.selection_confirm(selection=selection, actor=province_admin, amount="300000", now=AWARDING)
    assert award.kind == Award.Kind.EXPERT_SELECTED and award.institution == rivals[0]
    assert award.get_kind_display() == "专家遴选"
    contract = services.contract_sign(award=award, actor=province_admin, now=SIGNING)
    assert contract.lead == rivals[0]
    assert set(contract.components.values_list("institution_id", flat=True)) == {rivals[0].pk}
    assert Commitment.objects.get().amount == Decimal("300000.00")
    tender.refresh_from_db()
    assert tender.status == S.FAILED
    assert any("专家遴选" in e.note for e in tender.events.all())


def test_tender6_candidate_must_meet_the_lot_requirements(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin, lead_on_remote_list=True)
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    selection = services.selection_start(tender=tender, actor=province_admin)
    with pytest.raises(services.TenderError, match="不符合"):
        services.candidate_add(selection=selection, actor=province_admin, institution=institution)
    services.candidate_add(selection=selection, actor=province_admin, institution=remote)


def test_past_performance_is_none_without_an_evaluation_result(institution):
    assert scoring.past_performance(institution, 2020) is None


def test_past_performance_is_asked_for_the_tenders_year(three_bids, monkeypatch):
    tender, bids = three_bids
    asked = []
    monkeypatch.setattr(scoring, "past_performance", lambda institution, year: asked.append(year))
    scoring.rank_bids(tender, bids, [])
    assert set(asked) == {tender.plan.year}


def test_past_performance_counts_when_the_evaluation_app_reports(three_bids, province_admin, experts, monkeypatch):
    tender, bids = three_bids
    monkeypatch.setattr(scoring, "past_performance", lambda institution, year: Decimal("100"))
    ranked, used = scoring.rank_bids(tender, bids, [])
    assert used is True
    lowest = ranked[0]
    assert lowest.bid.price == Decimal("280000.00")
    assert lowest.total == scoring.q2((Decimal(30) * 100 + Decimal(10) * 100) / 100)



def test_contract_links_a_commitment_already_recorded_for_it(continuing, province_admin):
    from guopei.plans.services import commitment_record

    existing = commitment_record(project=continuing, amount=Decimal("380000"), payee="太原师范学院",
                                 reference="晋教师培合〔2020〕01号", actor=province_admin)
    award = services.award_continuation(project=continuing, actor=province_admin, amount="380000", now=SIGNING)
    assert award.contract.commitment == existing
    assert Commitment.objects.count() == 1
