"""The digests as scheduled jobs: the daily digest of yesterday once the clock passes
``DIGEST_DAILY_HOUR`` (UK time), the weekly digest of last week on ``DIGEST_WEEKLY_DAY``
after the same hour — or on any later day, if the scheduler was down that day. A job that
is due only queues the digest task (:func:`mutuals.publishing.tasks.send_digest`); a
worker sends it. A job stays due until its period is finished, so the task is queued again
each time the scheduler looks until then: a run that fails is retried, and two runs at
once share the work without sending anything twice."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from mutuals.publishing import periods
from mutuals.publishing.errors import ScheduleError
from mutuals.publishing.models import DigestPeriod, Frequency
from mutuals.publishing.scheduler import register

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def daily_hour() -> int:
    hour = settings.DIGEST_DAILY_HOUR
    if not 0 <= hour <= 23:
        raise ScheduleError(f"DIGEST_DAILY_HOUR={hour} is not an hour from 0 to 23")
    return hour


def weekly_day() -> int:
    day = settings.DIGEST_WEEKLY_DAY.strip().lower()
    if day not in WEEKDAYS:
        raise ScheduleError(
            f"DIGEST_WEEKLY_DAY={settings.DIGEST_WEEKLY_DAY!r} is not a day: use monday to sunday"
        )
    return WEEKDAYS.index(day)


def _finished(frequency: str, now: datetime) -> bool:
    period = periods.last_complete(frequency, now)
    return DigestPeriod.objects.filter(
        frequency=frequency, starts_at=period.starts_at, completed_at__isnull=False
    ).exists()


def daily_due(now: datetime, last_run: datetime | None = None) -> bool:
    local = timezone.localtime(now)
    return local.hour >= daily_hour() and not _finished(Frequency.DAILY, now)


def weekly_due(now: datetime, last_run: datetime | None = None) -> bool:
    local = timezone.localtime(now)
    days_since = (local.weekday() - weekly_day()) % 7
    # The send day of this week has come (today after the hour, or an earlier day).
    reached = days_since > 0 or local.hour >= daily_hour()
    this_week_started = local.weekday() >= weekly_day()
    return reached and this_week_started and not _finished(Frequency.WEEKLY, now)


def queue_digest(frequency: str):
    """A job's run that puts the ``frequency`` digest on the queue for the workers."""

    def enqueue() -> str:
        from mutuals.publishing.tasks import send_digest

        return f"queued as task {send_digest.enqueue(frequency).id}"

    return enqueue


register("digest-daily", daily_due, queue_digest(Frequency.DAILY))
register("digest-weekly", weekly_due, queue_digest(Frequency.WEEKLY))
