"""Email and calendar invitations: every message through Django's mail connection, each
invitation an RFC 5545 file the icalendar library reads, with one UID per booking and a
higher SEQUENCE at every change, cancelling itself when the event or booking is cancelled;
reminders once, a set time before; invoices typeset by a worker and emailed."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from events.event_world import (
    book,
    booker,
)
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import mail as event_mail
from mutuals.events import organising, reminders
from mutuals.events.booking import cancel_booking
from mutuals.events.models import Event, EventMessage, Invoice


def invitations(address: str) -> list[icalendar.Calendar]:
    """The calendar parts of the emails sent to ``address``, parsed, oldest first."""
    found = []
    for message in mail.outbox:
        if message.to != [address]:
            continue
        for part in message.message().walk():
            if part.get_content_type() == "text/calendar":
                calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
                assert part.get_param("method") == calendar["METHOD"]
                found.append(calendar)
    return found


def entry(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.events
    return event


def change(people, event, **fields):
    auditor = people["auditor"]
    event.refresh_from_db()
    draft = organising.draft_of(event)
    return organising.update_event(
        viewer_for_user(auditor),
        auditor,
        event,
        organising.EventDraft(**{**draft.__dict__, **fields}),
    )


def test_an_invitation_updates_itself_and_cancels_itself(people, learning_event):
    booking = book(booker(), learning_event)
    event_mail.send_pending()
    original = learning_event.starts_at.replace(microsecond=0)  # iCalendar keeps whole seconds
    moved = original + dt.timedelta(hours=1)
    change(people, learning_event, starts_at=moved, ends_at=moved + dt.timedelta(hours=5))
    event_mail.send_pending()
    change(people, learning_event, description="Lunch provided.")  # attendees see no change
    event_mail.send_pending()
    organising.cancel_event(viewer_for_user(people["auditor"]), people["auditor"],
                            learning_event, "The speakers cannot travel.")  # fmt: skip
    event_mail.send_pending()

    sent = invitations(booking.email)
    assert [c["METHOD"] for c in sent] == ["REQUEST", "REQUEST", "CANCEL"]
    uids = {str(entry(c)["UID"]) for c in sent}
    assert uids == {f"booking-{booking.reference.lower()}@127.0.0.1"}
    sequences = [int(entry(c)["SEQUENCE"]) for c in sent]
    assert sequences == sorted(set(sequences)) and sequences[0] == 0
    first, moved_entry, cancelled = (entry(c) for c in sent)
    assert first.decoded("DTSTART") == original
    assert moved_entry.decoded("DTSTART") == moved
    assert str(moved_entry.decoded("DTSTART").tzinfo) == "Europe/London"
    assert sent[0].timezones and sent[0].timezones[0].tz_name == "Europe/London"
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "meet.example.org/integration-day" in str(first["URL"])  # only booked places get it
    subjects = [m.subject for m in mail.outbox if m.to == [booking.email]]
    assert subjects[0].startswith("Booking confirmed") and subjects[-1].startswith("Cancelled")
    assert "The speakers cannot travel." in mail.outbox[-1].body


def test_cancelling_a_booking_cancels_its_invitation(learning_event):
    user = booker()
    booking = book(user, learning_event)
    cancel_booking(viewer_for_user(user), user, booking.reference)
    event_mail.send_pending()
    request, cancel = invitations(booking.email)
    assert (request["METHOD"], cancel["METHOD"]) == ("REQUEST", "CANCEL")
    assert entry(request)["UID"] == entry(cancel)["UID"]
    assert int(entry(cancel)["SEQUENCE"]) > int(entry(request)["SEQUENCE"])


def test_the_waiting_list_gets_no_invitation_until_a_place_is_theirs(learning_event):
    Event.objects.filter(pk=learning_event.pk).update(capacity=1)
    book(booker(), learning_event)
    waiting = book(booker(), learning_event)
    event_mail.send_pending()
    assert invitations(waiting.email) == []
    assert "meet.example.org" not in mail.outbox[-1].body


def test_reminders_go_once_a_set_time_before(settings, learning_event):
    settings.EVENTS_REMINDER_HOURS = 48
    booking = book(booker(), learning_event)
    assert reminders.send_reminders() == 0  # a month away
    soon = timezone.now() + dt.timedelta(hours=40)
    Event.objects.filter(pk=learning_event.pk).update(
        starts_at=soon, ends_at=soon + dt.timedelta(hours=2)
    )
    assert reminders.send_reminders() == 1
    assert reminders.send_reminders() == 0
    event_mail.send_pending()
    reminder = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert len(reminder) == 1 and reminder[0].to == [booking.email]
    assert "Step-free access" in reminder[0].body


def test_a_refused_message_is_retried_then_given_up(monkeypatch, learning_event):
    book(booker(), learning_event)

    def refuse(self, *args, **kwargs):
        raise OSError("mail server refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    for _ in range(event_mail.MAX_ATTEMPTS):
        event_mail.send_pending()
    message = EventMessage.objects.get()
    assert message.status == "given_up" and message.attempts == event_mail.MAX_ATTEMPTS
    assert "mail server refused" in message.error


@pytest.mark.django_db(transaction=True)
def test_the_invoice_is_typeset_by_a_worker_kept_and_emailed(world, people):
    from events.event_world import learning_draft, publish

    event = publish(people["auditor"], learning_draft())
    booking = book(booker(), event, "Early bird")  # committed: its tasks run (inline here)
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.made_at is not None and bytes(invoice.pdf).startswith(b"%PDF")
    emailed = [m for m in mail.outbox if m.subject.startswith("Invoice")]
    assert len(emailed) == 1
    ((name, content, kind),) = emailed[0].attachments
    assert name == f"invoice-{invoice.number}.pdf" and kind == "application/pdf"
    import pypdfium2

    text = pypdfium2.PdfDocument(bytes(invoice.pdf))[0].get_textpage().get_text_range()
    for shown in (invoice.number, "£45.00", "PO-2026-0042", booking.reference):
        assert shown in text, shown
