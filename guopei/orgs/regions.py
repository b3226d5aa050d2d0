"""Load the province's administrative divisions from the bundled GB/T 2260 file."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIVISIONS_CSV = Path(__file__).resolve().parent / "data" / "shanxi-divisions.csv"


@dataclass(frozen=True)
class RegionLoadResult:
    created: int
    updated: int
    unchanged: int


def read_divisions(path: Path = DIVISIONS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Parents before children, so foreign keys resolve in one pass.
    order = {"province": 0, "city": 1, "county": 2, "zone": 2}
    return sorted(rows, key=lambda row: (order[row["level"]], row["code"]))


def regions_load(*, region_model: Any, path: Path = DIVISIONS_CSV) -> RegionLoadResult:
    """Create or update every division in the file; running it twice changes nothing.

    Takes the model as an argument so the data migration can pass its historical model.
    """
    existing = {r.code: r for r in region_model.objects.all()}
    created = updated = unchanged = 0
    for row in read_divisions(path):
        values = {"name": row["name"], "level": row["level"], "parent_id": row["parent_code"] or None}
        region = existing.get(row["code"])
        if region is None:
            region_model.objects.create(code=row["code"], **values)
            created += 1
        elif any(getattr(region, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(region, k, v)
            region.save(update_fields=list(values))
            updated += 1
        else:
            unchanged += 1
    return RegionLoadResult(created, updated, unchanged)
