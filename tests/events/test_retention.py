"""Attendees' details are removed a set time after the event; the numbers stay."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from events.event_world import (
    book,
    booker,
)
from mutuals.accounts.models import AuditEvent
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import attendance, exports
from mutuals.events.models import Booking, Event, EventMessage, Invoice
from mutuals.events.tasks import forget_attendees


def _held(event, days_ago: int):
    ended = timezone.now() - dt.timedelta(days=days_ago)
    Event.objects.filter(pk=event.pk).update(
        starts_at=ended - dt.timedelta(hours=6), ends_at=ended,
        booking_deadline=ended - dt.timedelta(days=1),
    )  # fmt: skip
    event.refresh_from_db()


def test_retention_removes_personal_data_and_keeps_the_counts(settings, people, learning_event):
    settings.EVENTS_RETENTION_DAYS = 30
    early = book(booker(), learning_event, "Early bird")
    standard = book(booker(), learning_event)
    Invoice.objects.filter(booking=early).update(pdf=b"%PDF-stand-in", made_at=timezone.now())
    _held(learning_event, days_ago=2)
    attendance.mark_attendance(viewer_for_user(people["auditor"]), people["auditor"],
                               learning_event, {early.reference: True, standard.reference: False})  # fmt: skip
    before = attendance.numbers(learning_event)

    forget_attendees.enqueue()  # not yet: the event ended two days ago
    assert Booking.objects.filter(anonymised_at__isnull=False).count() == 0
    _held(learning_event, days_ago=31)
    forget_attendees.enqueue()

    for booking in Booking.objects.filter(event=learning_event):
        assert booking.anonymised_at is not None
        personal = (booking.name, booking.organisation, booking.email, booking.access_needs,
                    booking.billing_organisation, booking.billing_address, booking.billing_email,
                    booking.purchase_order)  # fmt: skip
        assert personal == ("",) * 8 and booking.user_id is None and booking.person_id is None
    assert not EventMessage.objects.exists()
    invoice = Invoice.objects.get(booking=early)
    assert invoice.pdf is None and invoice.amount == early.price  # number and amount kept
    assert attendance.numbers(learning_event) == before  # counts, attendance and income kept
    assert [r.income for r in before] and sum(r.attended for r in before) == 1
    csv = exports.bookings_csv(learning_event).decode()
    assert early.email not in csv and early.reference in csv
    learning_event.refresh_from_db()
    assert learning_event.attendees_forgotten_at is not None
    assert AuditEvent.objects.filter(action="event.attendees-forgotten").count() == 1
    forget_attendees.enqueue()  # safe to run again
    assert AuditEvent.objects.filter(action="event.attendees-forgotten").count() == 1


def test_the_privacy_notice_says_how_long_details_are_kept(client, settings, learning_event):
    settings.EVENTS_RETENTION_DAYS = 45
    html = client.get(learning_event.get_absolute_url()).content.decode()
    assert "We delete them 45 days after the event ends" in html
