"""The numbers a teacher's hours are measured against, all settings (MGMT-3, MGMT-4, PLAN-5).

The notice fixes only the IT 2.0 numbers (at least 50 hours, at least 25 of them practice-application hours).
The five-year cycle of 360 hours and the annual requirement are the national continuing-education rule the
province applies; the rate at which recognised hours become credits (学分) is left to the province: the
default is 10 hours to one credit, so a full cycle of 360 hours is 36 credits. Credits are fixed when hours
are recognised, so changing the rate later does not rewrite recognised records.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def hours_per_credit() -> Decimal:
    return Decimal(str(settings.CREDIT_HOURS_PER_CREDIT))


def credits_for(hours: Decimal) -> Decimal:
    """Credits recognised for `hours` (MGMT-3), to two decimal places, halves rounded up."""
    return (Decimal(hours) / hours_per_credit()).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def annual_hours_required() -> int:
    """Hours a teacher needs each year; the teacher database's setting, so selection and credits agree."""
    return int(settings.TEACHERS_ANNUAL_HOURS_REQUIRED)


def it20_min_hours() -> Decimal:
    return Decimal(settings.IT20_MIN_HOURS)


def it20_min_practice_hours() -> Decimal:
    return Decimal(settings.IT20_MIN_PRACTICE_HOURS)


@dataclass(frozen=True)
class Cycle:
    """A continuing-education cycle: `first`..`last` years inclusive, with the hours it requires."""

    first: int
    last: int
    hours_required: int

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    @property
    def label(self) -> str:
        return f"{self.first}—{self.last}年"


def cycle_for(year: int) -> Cycle:
    """The cycle `year` belongs to, counted in blocks of CREDIT_CYCLE_YEARS from CREDIT_CYCLE_START_YEAR."""
    length = int(settings.CREDIT_CYCLE_YEARS)
    start = int(settings.CREDIT_CYCLE_START_YEAR)
    first = start + ((year - start) // length) * length
    return Cycle(first, first + length - 1, int(settings.CREDIT_CYCLE_HOURS))
