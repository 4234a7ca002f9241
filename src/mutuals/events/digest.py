"""What a digest should say about events: those published in its period that the
subscriber may book, and still taking bookings.

The digests call :func:`published_in` for each subscriber's viewer (the public's, for a
subscriber without a sign-in), as they do for ballots; a line is a plain dataclass, so
equal lines render once. Consultation meetings reach only the provider's own staff,
through the same rules as the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from mutuals.accounts.permissions import Viewer
from mutuals.events import access
from mutuals.events.models import EventKind


@dataclass(frozen=True)
class EventLine:
    title: str
    kind: str  # the kind in words
    organised_by: str
    starts_at: datetime
    booking_deadline: datetime
    path: str  # to append to PUBLIC_BASE_URL


def published_in(viewer: Viewer, starts_at: datetime, ends_at: datetime) -> list[EventLine]:
    """Events published in [starts_at, ends_at) the viewer may book (the public: published
    learning events, which they may read and sign in to book), still open, soonest first."""
    found = (
        access.events(viewer, "view" if viewer.is_public else "book")
        .filter(Q(published_at__gte=starts_at) & Q(published_at__lt=ends_at))
        .filter(status="published", booking_deadline__gt=ends_at)
        .select_related("provider", "host")
        .order_by("starts_at", "pk")
    )
    return [
        EventLine(
            title=event.title,
            kind=EventKind(event.kind).label,
            organised_by=event.organised_by,
            starts_at=event.starts_at,
            booking_deadline=event.booking_deadline,
            path=event.get_absolute_url(),
        )
        for event in found
    ]
