"""The periods digests cover: a calendar day, or a week from Monday, in UK time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from mutuals.publishing.errors import PublishingError
from mutuals.publishing.models import Frequency


@dataclass(frozen=True)
class Period:
    frequency: str
    first_day: date
    days: int

    @property
    def starts_at(self) -> datetime:
        return _local_midnight(self.first_day)

    @property
    def ends_at(self) -> datetime:
        return _local_midnight(self.first_day + timedelta(days=self.days))

    @property
    def label(self) -> str:
        if self.frequency == Frequency.DAILY:
            return f"{self.first_day:%-d %B %Y}"
        last = self.first_day + timedelta(days=self.days - 1)
        return f"the week of {self.first_day:%-d %B} to {last:%-d %B %Y}"


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def containing(frequency: str, day: date) -> Period:
    """The period of ``frequency`` that ``day`` falls in."""
    if frequency == Frequency.DAILY:
        return Period(frequency, day, 1)
    if frequency == Frequency.WEEKLY:
        return Period(frequency, day - timedelta(days=day.weekday()), 7)
    raise PublishingError(f"frequency {frequency!r} is not daily or weekly")


def last_complete(frequency: str, now: datetime | None = None) -> Period:
    """The latest period of ``frequency`` that has ended by ``now``: yesterday, or last week."""
    today = timezone.localdate(now or timezone.now())
    step = 1 if frequency == Frequency.DAILY else 7
    return containing(frequency, today - timedelta(days=step))


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PublishingError(f"--period {text!r} is not a date such as 2026-11-23") from None
