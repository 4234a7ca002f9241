"""Published learning events as open data: when, where, places and prices, never who booked.

Staff consultation meetings are a provider's internal meetings and are left out, as are
drafts, online links (for booked attendees only) and every detail of any booking; the
number of places taken is a count.
"""

from __future__ import annotations

import polars as pl
from django.db.models import Count, Q
from django.utils import timezone

from mutuals.accounts.permissions import ANONYMOUS
from mutuals.events import access
from mutuals.events.models import HOLDING_A_PLACE, EventKind

SCHEMA = {
    "id": pl.Int64,
    "title": pl.String,
    "status": pl.String,
    "organised_by": pl.String,
    "starts_at": pl.String,
    "ends_at": pl.String,
    "booking_deadline": pl.String,
    "venue": pl.String,
    "online": pl.Boolean,
    "capacity": pl.Int64,
    "places_taken": pl.Int64,
    "rates": pl.String,
    "accessibility": pl.String,
}


def _moment(value) -> str:
    return timezone.localtime(value).isoformat(timespec="minutes")


def _rates(event) -> str:
    parts = []
    for rate in event.rates.all():
        text = f"{rate.name} £{rate.price:.2f}"
        if rate.book_by:
            text += f" until {_moment(rate.book_by)}"
        parts.append(text)
    return "; ".join(parts)


def learning_events_table() -> pl.DataFrame:
    events = (
        access.events(ANONYMOUS)
        .filter(kind=EventKind.LEARNING)
        .select_related("host")
        .prefetch_related("rates")
        .annotate(taken=Count("bookings", filter=Q(bookings__status__in=HOLDING_A_PLACE)))
        .order_by("starts_at", "pk")
    )
    rows = [
        {
            "id": event.pk,
            "title": event.title,
            "status": event.status,
            "organised_by": event.organised_by,
            "starts_at": _moment(event.starts_at),
            "ends_at": _moment(event.ends_at),
            "booking_deadline": _moment(event.booking_deadline),
            "venue": event.venue,
            "online": bool(event.online_url),
            "capacity": event.capacity,
            "places_taken": event.taken,
            "rates": _rates(event),
            "accessibility": event.accessibility,
        }
        for event in events
    ]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
