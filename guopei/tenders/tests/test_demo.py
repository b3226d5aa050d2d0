"""The demo world's tenders: every state present, the rules held, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest

from guopei.orgs import demo as orgs_demo
from guopei.plans import demo as plans_demo
from guopei.plans.models import Commitment
from guopei.tenders import demo, selectors, services
from guopei.tenders.models import Award, Bid, CoursePlan, Tender

from .factories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(demo.Demo, "pdf", lambda self, title: PDF_BYTES)
    out = io.StringIO()
    orgs_demo.build(out)
    plans_demo.build(out)
    demo.build(out)
    return out.getvalue()


def test_demo_builds_tenders_in_every_state_and_is_idempotent(world):
    statuses = set(Tender.objects.filter(is_demo=True).values_list("status", flat=True))
    assert statuses == set(Tender.Status.values)
    counts = (Tender.objects.count(), Bid.objects.count(), Award.objects.count(), CoursePlan.objects.count(),
              Commitment.objects.count())
    again = io.StringIO()
    demo.build(again)
    assert "本次新建：无" in again.getvalue()
    assert counts == (Tender.objects.count(), Bid.objects.count(), Award.objects.count(),
                      CoursePlan.objects.count(), Commitment.objects.count())
    _rules_are_shown()
    _accounts_see_their_part()


def _rules_are_shown():
    # TENDER-4: a bid keeping the workshop is invalid; TENDER-3: the winner is a consortium.
    lot = Tender.objects.get(code="SXZB-2020-01")
    assert any("TENDER-4" in p for b in lot.bids.all() for p in b.problems)
    winner = lot.awards.get(status="contracted").bid
    assert winner.members.filter(role="partner", institution__on_remote_list=True).exists()
    # TENDER-6 and the fallback.
    assert Award.objects.filter(kind=Award.Kind.EXPERT_SELECTED, status="contracted").exists()
    assert Award.objects.filter(fallback_from__isnull=False, status="contracted").exists()
    # TENDER-1: continuations linked to the commitments the plan's demo recorded (not counted twice).
    for award in Award.objects.filter(kind=Award.Kind.CONTINUATION):
        assert award.reference_2019 and award.contract.commitment.reference.startswith("晋教师培合")
    # TENDER-2: at most five distinct IT 2.0 institutions.
    plan = lot.plan
    assert 0 < len(services.it20_institutions(plan)) <= 5
    # Course plans: approved ones Delivery can use, and one returned.
    assert CoursePlan.objects.filter(status="returned").count() == 1
    for course_plan in CoursePlan.objects.filter(status="approved"):
        assert services.plan_problems(course_plan) == []
        assert selectors.approved_course_plan(course_plan.project, course_plan.county) is not None


def _accounts_see_their_part():
    from guopei.orgs.models import User

    jigou = User.objects.get(username="jigou_staff")
    assert selectors.course_plans_for_user(jigou).filter(status="approved").exists()
    assert selectors.open_tenders(jigou).exists()
    zhuanjia = User.objects.get(username="zhuanjia")
    pending = selectors.assignments_for_user(zhuanjia).filter(declared_at__isnull=True, recused_at__isnull=True)
    assert pending.filter(tender__status="evaluation").exists()
