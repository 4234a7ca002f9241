"""The events settings, read where they are used.

They are declared (with their help text) in :mod:`mutuals.config`; until a deployment sets
them, the defaults below apply.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULTS = {
    # How long a place freed from a full event stays offered to the next person waiting.
    "EVENTS_OFFER_HOURS": 48,
    # How long before an event its attendees are reminded by email.
    "EVENTS_REMINDER_HOURS": 24,
    # How long after an event its attendees' details are kept.
    "EVENTS_RETENTION_DAYS": 90,
}


def _value(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def offer_time() -> timedelta:
    return timedelta(hours=_value("EVENTS_OFFER_HOURS"))


def reminder_time() -> timedelta:
    return timedelta(hours=_value("EVENTS_REMINDER_HOURS"))


def retention_time() -> timedelta:
    return timedelta(days=_value("EVENTS_RETENTION_DAYS"))


def retention_days() -> int:
    return _value("EVENTS_RETENTION_DAYS")
