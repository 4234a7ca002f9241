"""Reminders ``EVENTS_REMINDER_HOURS`` before an event, to everyone with a booked place.

Each booking is reminded once: a conditional update marks it, and only the run that marked
it queues the email, so two ticks at once never send two reminders.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from mutuals.events import config, mail
from mutuals.events.models import Booking, BookingStatus, EventStatus, MessageKind


def send_reminders(now: datetime | None = None) -> int:
    """Queue a reminder for every booked place whose event starts within the reminder
    time; how many were queued."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.BOOKED,
        reminded_at__isnull=True,
        event__status=EventStatus.PUBLISHED,
        event__starts_at__gt=now,
        event__starts_at__lte=now + config.reminder_time(),
    )
    queued = 0
    with transaction.atomic():
        for booking in due.order_by("pk"):
            marked = Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if marked:
                mail.queue(booking, MessageKind.REMINDER)
                queued += 1
        if queued:
            mail.send_soon()
    return queued
