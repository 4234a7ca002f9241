"""The events settings as durations: EVENTS_OFFER_HOURS, EVENTS_REMINDER_HOURS and
EVENTS_RETENTION_DAYS, declared with their help text in :mod:`mutuals.config`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def offer_time() -> timedelta:
    """How long a place freed at a full event stays offered to the next person waiting."""
    return timedelta(hours=settings.EVENTS_OFFER_HOURS)


def reminder_time() -> timedelta:
    """How long before an event its attendees are reminded by email."""
    return timedelta(hours=settings.EVENTS_REMINDER_HOURS)


def retention_days() -> int:
    """How many days after an event its attendees' details are kept."""
    return settings.EVENTS_RETENTION_DAYS


def retention_time() -> timedelta:
    return timedelta(days=retention_days())
