"""Places and the waiting list: every change to who holds a place happens here, under the
event's lock.

:func:`lock_event` locks the event's row (``SELECT … FOR UPDATE``; on SQLite the project's
``IMMEDIATE`` transactions already hold the database's write lock) and reads the
database's clock once the lock is held: booking, cancelling, offering and expiring all
count the places held (booked, or offered and not yet lapsed) and decide by that one
timestamp, so capacity is never exceeded and a race at a deadline is decided by the
database, not by whichever web server's clock answers. The clock is read in a statement
of its own because PostgreSQL's ``Now()`` is when a statement began: read in the locking
statement it would be the moment the wait began, and a booking that waited could be
stamped earlier than one that went first.

A place freed while people wait is offered to the first in line (by when they asked) for
``EVENTS_OFFER_HOURS`` (never past the event's start); the offer holds the place until it
is accepted, declined or lapses (:func:`expire_offers`, run every minute).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models.functions import Now

from mutuals.events import config, mail
from mutuals.events.models import (
    HOLDING_A_PLACE,
    Booking,
    BookingStatus,
    Event,
    EventStatus,
    MessageKind,
)


def lock_event(event_id: int) -> tuple[Event, datetime]:
    """The event, locked for the rest of the transaction, and the database's clock read
    once the lock is held."""
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("provider", "host")
        .get(pk=event_id)
    )
    now = Event.objects.filter(pk=event_id).annotate(db_now=Now()).values_list("db_now", flat=True)
    return event, now.get()


def places_held(event: Event) -> int:
    return Booking.objects.filter(event=event, status__in=HOLDING_A_PLACE).count()


def fill_places(event: Event, now: datetime) -> list[Booking]:
    """Offer every free place to the next people waiting; the bookings offered one.
    Call with the event locked (:func:`lock_event`)."""
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        return []
    free = event.capacity - places_held(event)
    if free <= 0:
        return []
    expires = min(now + config.offer_time(), event.starts_at)
    offered = list(
        Booking.objects.filter(event=event, status=BookingStatus.WAITING).order_by(
            "booked_at", "pk"
        )[:free]
    )
    for booking in offered:
        booking.status = BookingStatus.OFFERED
        booking.offered_at = now
        booking.offer_expires_at = expires
        booking.save(update_fields=["status", "offered_at", "offer_expires_at"])
        mail.queue(booking, MessageKind.OFFER)
    if offered:
        mail.send_soon()
    return offered


def expire_offers() -> int:
    """Lapse every offer not accepted in time, and offer those places on; how many lapsed."""
    due = (
        Booking.objects.filter(status=BookingStatus.OFFERED, offer_expires_at__lte=Now())
        .values_list("event_id", flat=True)
        .distinct()
    )
    lapsed = 0
    for event_id in list(due):
        with transaction.atomic():
            event, now = lock_event(event_id)
            expired = list(
                Booking.objects.filter(
                    event=event, status=BookingStatus.OFFERED, offer_expires_at__lte=now
                )
            )
            for booking in expired:
                booking.status = BookingStatus.LAPSED
                booking.save(update_fields=["status"])
                mail.queue(booking, MessageKind.LAPSED)
            lapsed += len(expired)
            fill_places(event, now)
            mail.send_soon()
    return lapsed
