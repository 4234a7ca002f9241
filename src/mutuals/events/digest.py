"""What a digest says about events: those published in its period that the subscriber
may book, and still taking bookings when it is sent.

The digests (:mod:`mutuals.publishing.digest_content`) call :func:`published_in` with
each subscriber's viewer. As on the home page, only people who may book hear of events:
a subscriber without a sign-in gets none. Consultation meetings reach only the provider's
own staff, those the register shows employed there on the meeting's day, as on the home
page. A line is a frozen dataclass, so equal digests stay equal and are rendered once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from mutuals.accounts.permissions import Viewer
from mutuals.events import access
from mutuals.events.models import Event, EventKind


@dataclass(frozen=True)
class EventLine:
    title: str
    kind: str  # the kind in words
    organised_by: str
    starts_at: datetime
    booking_deadline: datetime
    path: str  # to append to PUBLIC_BASE_URL


def published_in(viewer: Viewer, starts_at: datetime, ends_at: datetime) -> list[EventLine]:
    """Events published in [starts_at, ends_at) the viewer may book, still taking bookings
    at ``ends_at``, soonest first (none for the public, who cannot book)."""
    return lines_for(viewer, bookable_published_in(viewer, starts_at, ends_at))


def bookable_published_in(viewer: Viewer, starts_at: datetime, ends_at: datetime) -> list[Event]:
    """The events :func:`published_in` starts from, which the viewer's roles let them book:
    the same for everyone holding the same roles."""
    if viewer.is_public:
        return []
    found = (
        access.events(viewer, "book")
        .filter(Q(published_at__gte=starts_at) & Q(published_at__lt=ends_at))
        .filter(status="published", booking_deadline__gt=ends_at)
        .select_related("provider", "host")
        .order_by("starts_at", "pk")
    )
    return list(found)


def lines_for(viewer: Viewer, events: list[Event]) -> list[EventLine]:
    """The digest's lines for the events the register lets the viewer book (a consultation
    meeting only if it shows them as the provider's staff)."""
    return [
        EventLine(
            title=event.title,
            kind=EventKind(event.kind).label,
            organised_by=event.organised_by,
            starts_at=event.starts_at,
            booking_deadline=event.booking_deadline,
            path=event.get_absolute_url(),
        )
        for event in events
        if access.register_lets_book(viewer, event)
    ]
