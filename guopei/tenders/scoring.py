"""How bids are ranked: weighted criteria — price, technical proposal, team, past performance.

* Price is scored by formula, not by the experts: the lowest valid price scores 100, another price scores
  lowest / price × 100. Experts never need to see prices.
* Technical proposal and team are each the average of the experts' independent scores (0-100).
* Past performance is read from the evaluation app (MGMT-7) when it is installed and has a result:
  `guopei.evaluation.selectors.institution_past_performance(institution, year)` → a 0-100 score or None, given
  the tender's year (the evaluation app answers with the most recent evaluated year before it). If any valid
  bidder's lead has no result (or the app is not installed), the
  criterion is dropped for every bid of the tender and its weight is redistributed over the other criteria in
  proportion to their weights, so all bids are compared on the same basis.
* Total = Σ weight × score / Σ weights used. Ties go to the lower price, then to the earlier bid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import import_module
from typing import Any

from django.apps import apps

TWO = Decimal("0.01")
HUNDRED = Decimal(100)


def past_performance(institution: Any, year: int) -> Decimal | None:
    """The institution's past performance (0-100) known when tendering in `year`, from the evaluation app (its
    most recent evaluated year before `year`), or None when there is none or the app is not installed."""
    if not apps.is_installed("guopei.evaluation"):
        return None
    try:
        selectors = import_module("guopei.evaluation.selectors")
    except ImportError:
        return None
    reader = getattr(selectors, "institution_past_performance", None)
    if reader is None:
        return None
    value = reader(institution, year)
    if value is None:
        return None
    return Decimal(str(value)).quantize(TWO, ROUND_HALF_UP)


def q2(value: Decimal) -> Decimal:
    return value.quantize(TWO, ROUND_HALF_UP)


def average(values: Iterable[Decimal]) -> Decimal | None:
    items = list(values)
    if not items:
        return None
    return q2(sum(items, Decimal(0)) / len(items))


@dataclass
class RankedBid:
    bid: Any
    price_score: Decimal
    technical: Decimal
    team: Decimal
    past: Decimal | None
    total: Decimal
    rank: int = 0


def rank_bids(tender: Any, bids: list[Any], scores: Iterable[Any]) -> tuple[list[RankedBid], bool]:
    """Rank the valid `bids` from the submitted expert `scores`; return the ranking and whether past performance
    counted (False: its weight was redistributed)."""
    if not bids:
        return [], False
    technical: dict[int, list[Decimal]] = defaultdict(list)
    team: dict[int, list[Decimal]] = defaultdict(list)
    for score in scores:
        technical[score.bid_id].append(Decimal(score.technical))
        team[score.bid_id].append(Decimal(score.team))
    lowest = min(Decimal(b.price) for b in bids)
    year = tender.plan.year
    past = {b.pk: past_performance(b.lead, year) for b in bids}
    use_past = tender.weight_past > 0 and all(v is not None for v in past.values())
    weights = tender.weights
    used = {k: Decimal(w) for k, w in weights.items() if k != "past" or use_past}
    weight_sum = sum(used.values(), Decimal(0)) or Decimal(1)
    ranked = []
    for bid in bids:
        parts = {
            "price": q2(lowest / Decimal(bid.price) * HUNDRED),
            "technical": average(technical[bid.pk]) or Decimal(0),
            "team": average(team[bid.pk]) or Decimal(0),
        }
        if use_past:
            parts["past"] = past[bid.pk] or Decimal(0)
        total = q2(sum((used[k] * parts[k] for k in used), Decimal(0)) / weight_sum)
        ranked.append(RankedBid(bid=bid, price_score=parts["price"], technical=parts["technical"], team=parts["team"],
                                past=past[bid.pk] if use_past else None, total=total))
    ranked.sort(key=lambda r: (-r.total, Decimal(r.bid.price), r.bid.submitted_at, r.bid.pk))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked, use_past


@dataclass
class RankedCandidate:
    candidate: Any
    average: Decimal
    rank: int = 0


def rank_candidates(candidates: list[Any], scores: Iterable[Any]) -> list[RankedCandidate]:
    """Rank expert-selection candidates by their average score; ties keep the order the province named them."""
    by_candidate: dict[int, list[Decimal]] = defaultdict(list)
    for score in scores:
        by_candidate[score.candidate_id].append(Decimal(score.score))
    ranked = [RankedCandidate(candidate=c, average=average(by_candidate[c.pk]) or Decimal(0)) for c in candidates]
    ranked.sort(key=lambda r: (-r.average, r.candidate.pk))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked
