"""Attendees' details are kept for ``EVENTS_RETENTION_DAYS`` after their event, then removed.

Each booking keeps its row — reference, rate, price, status, whether its holder attended —
so the numbers by rate, the income and the attendance behind the staff-control
assessment stay as they were; its name, organisation, email, access needs, billing
details, link to a sign-in and to the register are blanked, its emails deleted and its
invoice's PDF dropped (the invoice keeps its number and amount). Run by a periodic task
and safe to run again: an event is done once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.events import config
from mutuals.events.models import Booking, Event, EventMessage, Invoice

BLANKED = {
    "name": "",
    "organisation": "",
    "email": "",
    "access_needs": "",
    "purchase_order": "",
    "billing_organisation": "",
    "billing_address": "",
    "billing_email": "",
    "user": None,
    "person": None,
}


def due(now: datetime | None = None):
    now = now or timezone.now()
    return Event.objects.filter(
        ends_at__lt=now - config.retention_time(), attendees_forgotten_at__isnull=True
    )


def forget_attendees(now: datetime | None = None) -> int:
    """Remove the details of every event's attendees once its time is up; how many
    bookings were blanked."""
    now = now or timezone.now()
    blanked = 0
    for event in due(now).order_by("pk"):
        with transaction.atomic():
            bookings = Booking.objects.filter(event=event)
            EventMessage.objects.filter(booking__in=bookings).delete()
            Invoice.objects.filter(booking__in=bookings).update(pdf=None)
            count = bookings.update(**BLANKED, anonymised_at=now)
            Event.objects.filter(pk=event.pk).update(attendees_forgotten_at=now)
            audit.record(
                "event.attendees-forgotten",
                obj=event,
                organisation=event.provider,
                changes={"bookings": count, "days_after": config.retention_days()},
            )
        blanked += count
    return blanked
