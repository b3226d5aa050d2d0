"""The arithmetic of the composite performance score (MGMT-7), apart from any database access.

* Every input is brought to 0-100 before it is weighed:
  - a survey's score is the mean of its 1-5 scale answers mapped linearly, 1 → 0 and 5 → 100: (m − 1) / 4 × 100;
  - a field visit's score is the sum of its criterion scores over the sum of their maxima, × 100;
  - a forum's rating (1-5) is mapped like the scale: (r − 1) / 4 × 100;
  - a third-party score is score / maximum × 100.
* An input of an institution, region or category is the plain mean of its observations (each class's survey,
  each visit, each forum, each third-party row counts once), rounded to 0.01.
* The composite is Σ weightᵢ × inputᵢ / Σ weightᵢ over the inputs that exist: an input with no observation is
  left out and its weight is shared by the others in proportion to theirs, so nobody gains or loses by not
  having been visited. Rounded half up to 0.01; with no input at all there is no composite.
* Rankings: highest composite first; equal composites share a rank and the next rank is skipped (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TWO = Decimal("0.01")
HUNDRED = Decimal(100)
INPUTS = ("survey", "visit", "forum", "third_party")
INPUT_LABELS = {"survey": "学员评教", "visit": "专家实地调研", "forum": "学员座谈", "third_party": "第三方评估"}


def q2(value: Decimal) -> Decimal:
    return value.quantize(TWO, ROUND_HALF_UP)


def scale_to_100(mean: Decimal | float | int, low: int = 1, high: int = 5) -> Decimal:
    """Map a mean on a low..high scale linearly onto 0..100 (not rounded)."""
    value = Decimal(str(mean))
    return (value - low) / Decimal(high - low) * HUNDRED


def ratio_to_100(score: Decimal, maximum: Decimal) -> Decimal:
    """score / maximum × 100 (not rounded)."""
    return Decimal(score) / Decimal(maximum) * HUNDRED


def mean(values: Iterable[Decimal]) -> Decimal | None:
    """The mean of the values rounded to 0.01, or None when there are none."""
    items = [Decimal(v) for v in values]
    if not items:
        return None
    return q2(sum(items, Decimal(0)) / len(items))


def composite(inputs: Mapping[str, Decimal | None], weights: Mapping[str, int]) -> Decimal | None:
    """Σ wᵢ·sᵢ / Σ wᵢ over the inputs present (and weighted above zero), rounded to 0.01 (see the module doc)."""
    used = [(Decimal(weights[name]), Decimal(value)) for name, value in inputs.items()
            if value is not None and weights.get(name, 0) > 0]
    total_weight = sum((w for w, _ in used), Decimal(0))
    if not total_weight:
        return None
    return q2(sum((w * s for w, s in used), Decimal(0)) / total_weight)


@dataclass
class Row:
    """One institution, region or category of a year: its inputs, composite and rank."""

    key: Any
    label: str
    inputs: dict[str, Decimal | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    composite: Decimal | None = None
    rank: int | None = None
    previous: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        if self.composite is None or self.previous is None:
            return None
        return self.composite - self.previous

    def as_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {"key": str(self.key), "label": self.label, "rank": self.rank,
                "composite": text(self.composite), "previous": text(self.previous), "change": text(self.change),
                "inputs": {k: text(v) for k, v in self.inputs.items()}, "counts": dict(self.counts)}


def build_rows(observations: Mapping[str, Mapping[Any, Sequence[Decimal]]], labels: Mapping[Any, str],
               weights: Mapping[str, int]) -> list[Row]:
    """Turn the observations of each input (input → key → values) into ranked rows."""
    keys = {key for per_key in observations.values() for key in per_key}
    rows = []
    for key in keys:
        inputs = {name: mean(observations.get(name, {}).get(key, ())) for name in INPUTS}
        counts = {name: len(observations.get(name, {}).get(key, ())) for name in INPUTS}
        rows.append(Row(key=key, label=labels.get(key, str(key)), inputs=inputs, counts=counts,
                        composite=composite(inputs, weights)))
    return rank_rows(rows)


def rank_rows(rows: list[Row]) -> list[Row]:
    """Sort by composite (highest first, rows without one last, then by label) and give competition ranks."""
    rows.sort(key=lambda r: (r.composite is None, -(r.composite or 0), r.label))
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        if row.composite is None:
            row.rank = None
            continue
        if row.composite != previous:
            rank = position
            previous = row.composite
        row.rank = rank
    return rows
