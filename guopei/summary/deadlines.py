"""The submission deadline (SUMMARY-1: cities submit by 20 August) and the countdown shown to cities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def summary_year() -> int:
    return int(settings.SUMMARY_YEAR)


def deadline_day(year: int) -> date:
    """The last day on which cities may submit (setting SUMMARY_DEADLINE, "MM-DD", default 08-20)."""
    month, day = (int(part) for part in str(settings.SUMMARY_DEADLINE).split("-"))
    return date(year, month, day)


def base_deadline(year: int) -> datetime:
    """The moment submission closes: the end of the deadline day in the province's time zone."""
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(deadline_day(year) + timedelta(days=1), time.min, tzinfo=tz)


@dataclass(frozen=True)
class Countdown:
    closes_at: datetime
    is_open: bool
    days: int
    hours: int
    extended: bool

    @property
    def text(self) -> str:
        if not self.is_open:
            return "已截止"
        if self.days == 0 and self.hours == 0:
            return "不足 1 小时"
        return f"{self.days} 天 {self.hours} 小时" if self.days else f"{self.hours} 小时"

    @property
    def last_day(self) -> datetime:
        """The last day shown to people: the moment of closing is midnight after it."""
        return timezone.localtime(self.closes_at - timedelta(seconds=1))


def describe_moment(moment: datetime) -> str:
    """A closing moment as people say it: midnight is the end of the day before ("8月20日（当日24时）")."""
    local = timezone.localtime(moment)
    if local.time() == time.min:
        day = local - timedelta(days=1)
        return f"{day:%Y}年{day.month}月{day.day}日（当日24时）"
    return f"{local:%Y}年{local.month}月{local.day}日 {local:%H:%M}"


def countdown(closes_at: datetime, *, extended: bool = False, now: datetime | None = None) -> Countdown:
    """Days and whole hours left until `closes_at`, computed on the server (no script on the page)."""
    now = now or timezone.now()
    left = closes_at - now
    if left.total_seconds() <= 0:
        return Countdown(closes_at, False, 0, 0, extended)
    return Countdown(closes_at, True, left.days, left.seconds // 3600, extended)
