"""Keyset pagination of teacher lists in pinyin order, with a capped count (fast at a million rows).

OFFSET pagination reads and throws away every row before the page, and an exact COUNT(*) over a province's
teachers scans them all; here a page is `WHERE (name_pinyin, id) > cursor ORDER BY name_pinyin, id LIMIT n`,
served by the (region_code, name_pinyin, id) and (name_pinyin, id) indexes, and the count stops at a limit.
A filter on a status other than active is served by the partial (status, name_pinyin, id) index (`status_q`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from .models import Teacher

PAGE_SIZE = 50


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str
    prev_cursor: str
    count: int
    count_capped: bool

    @property
    def count_display(self) -> str:
        return f"超过{self.count - 1}" if self.count_capped else str(self.count)


def _cursor(row: Any) -> str:
    return f"{row.name_pinyin}~{row.pk}"


def _decode(cursor: str) -> tuple[str, int] | None:
    pinyin, _, pk = cursor.rpartition("~")
    if not pk.isdigit():
        return None
    return pinyin, int(pk)


def status_q(status: str) -> Q:
    """Teachers with `status`; for any status but active, also the partial index's own condition term.

    The (status, name_pinyin, id) index holds only the teachers not in active service (3%; roster imports of
    active teachers do not write it). SQLite uses a partial index only when the query's WHERE contains the
    index's condition term as written, so `status = 'retired'` alone would not reach it (it does not infer
    `NOT (status = 'active')`), and a province-wide page scanned the pinyin index for a third of the table.
    The extra term changes no result. PostgreSQL proves the implication itself; the term costs it nothing.
    """
    q = Q(status=status)
    if status != Teacher.Status.ACTIVE:
        q &= ~Q(status=Teacher.Status.ACTIVE)
    return q


def capped_count(qs: QuerySet[Any], limit: int | None = None) -> tuple[int, bool]:
    """Count up to `limit` + 1 rows: (count, whether there are more)."""
    limit = limit or settings.TEACHERS_LIST_COUNT_LIMIT
    count = qs.order_by()[: limit + 1].count()
    return count, count > limit


def keyset_page(qs: QuerySet[Any], *, after: str = "", before: str = "", size: int = PAGE_SIZE) -> KeysetPage:
    """One page of `qs` in (name_pinyin, id) order, after or before a cursor."""
    count, capped = capped_count(qs)
    position = _decode(before) if before else _decode(after) if after else None
    if position is not None and before:
        pinyin, pk = position
        # The leading `<=` lets the index range start at the cursor; the OR alone would make it a scan.
        rows = list(qs.filter(Q(name_pinyin__lte=pinyin), Q(name_pinyin__lt=pinyin) | Q(pk__lt=pk))
                    .order_by("-name_pinyin", "-pk")[: size + 1])
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        return KeysetPage(rows, _cursor(rows[-1]) if rows else "", _cursor(rows[0]) if rows and has_more_before
                          else "", count, capped)
    if position is not None:
        pinyin, pk = position
        qs = qs.filter(Q(name_pinyin__gte=pinyin), Q(name_pinyin__gt=pinyin) | Q(pk__gt=pk))
    rows = list(qs.order_by("name_pinyin", "pk")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows, _cursor(rows[-1]) if has_more else "", _cursor(rows[0]) if rows and position else "",
                      count, capped)
