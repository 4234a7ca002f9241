"""Email about bookings: queued with the change that causes it, sent by a worker.

:func:`queue` adds an :class:`~mutuals.events.models.EventMessage` in the caller's
transaction, so a message exists exactly when its booking change was committed;
:func:`send_soon` asks a worker to send, once that transaction has committed (the minute
tick sends anything left over). :func:`send_pending` sends the way the digests do: one
connection of Django's mail backend for the whole run; each batch claimed in one
conditional update stamped with a token of its own, so two workers never send one
message; a refused message retried on later runs, up to :data:`MAX_ATTEMPTS`, then given
up; a message left ``sending`` by a process killed mid-batch is never sent again (a
second copy is worse than none).

A confirmation, an update or a cancellation of a booked place carries the calendar
invitation (:mod:`mutuals.events.calendar`) as a ``text/calendar`` part; an invoice
email carries the invoice's PDF.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from mutuals.events import calendar
from mutuals.events.models import (
    Booking,
    CalendarMethod,
    EventMessage,
    Invoice,
    MessageKind,
    MessageStatus,
)

logger = logging.getLogger(__name__)
BATCH = 50
MAX_ATTEMPTS = 5
RETRY = (MessageStatus.PENDING, MessageStatus.FAILED)
TEMPLATE = "mutuals/events/email/message.txt"
SUBJECTS = {
    MessageKind.CONFIRMATION: "Booking confirmed: {title}",
    MessageKind.WAITING: "You are on the waiting list: {title}",
    MessageKind.OFFER: "A place is free for you: {title}",
    MessageKind.LAPSED: "Your offered place has gone: {title}",
    MessageKind.UPDATE: "Changed: {title}",
    MessageKind.CANCELLED: "Booking cancelled: {title}",
    MessageKind.EVENT_CANCELLED: "Cancelled: {title}",
    MessageKind.REMINDER: "Reminder: {title}",
    MessageKind.INVOICE: "Invoice for your place: {title}",
}


def queue(
    booking: Booking, kind: str, *, calendar_method: str = "", sequence: int = 0
) -> EventMessage:
    """Queue an email about ``booking`` in the current transaction."""
    return EventMessage.objects.create(
        booking=booking, kind=kind, calendar=calendar_method, sequence=sequence
    )


def send_soon() -> None:
    """Once the current transaction commits, ask a worker to send what is queued."""
    from mutuals.events.tasks import send_event_mail

    transaction.on_commit(send_event_mail.enqueue)


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.failed} refused (tried again later)"
        return text + (f", {self.given_up} given up" if self.given_up else "")


def send_pending() -> SendSummary:
    """Send every message waiting when the run starts (each tried once in a run), over one
    connection; messages queued meanwhile are the next run's."""
    summary = SendSummary()
    todo = list(
        EventMessage.objects.filter(status__in=RETRY).order_by("pk").values_list("pk", flat=True)
    )
    if not todo:
        return summary
    connection = get_connection(fail_silently=False)
    try:
        for start in range(0, len(todo), BATCH):
            for message in _claim(todo[start : start + BATCH]):
                _send(message, connection, summary)
    finally:
        connection.close()
    return summary


def _claim(ids: list[int]) -> list[EventMessage]:
    """Mark the batch ``sending``, except what another run took first, in one conditional
    update stamped with a token of this batch's own; the messages it took."""
    token = secrets.token_hex(16)
    EventMessage.objects.filter(pk__in=ids, status__in=RETRY).update(
        status=MessageStatus.SENDING, claim=token, attempts=F("attempts") + 1
    )
    return list(
        EventMessage.objects.filter(claim=token)
        .select_related("booking__event__provider", "booking__event__host")
        .order_by("pk")
    )


def _send(message: EventMessage, connection, summary: SendSummary) -> None:
    try:
        if not message.booking.email:
            raise ValueError("the booking has no email address (its details were removed)")
        if not compose(message, connection).send():
            raise RuntimeError("the mail backend accepted no message")
    except Exception as error:  # refused or unreachable: nothing was delivered
        connection.close()  # a broken connection is not reused
        given_up = message.attempts >= MAX_ATTEMPTS
        logger.warning(
            "event message %s failed (attempt %s): %s", message.pk, message.attempts, error
        )
        EventMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.GIVEN_UP if given_up else MessageStatus.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        if given_up:
            summary.given_up += 1
        else:
            summary.failed += 1
        summary.errors.append(f"message {message.pk}: {error}")
        return
    EventMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=timezone.now(), error=""
    )
    summary.sent += 1


def compose(message: EventMessage, connection=None) -> EmailMultiAlternatives:
    """The email for one queued message, from the booking and event as they are now."""
    booking = message.booking
    event = booking.event
    invoice = _invoice(booking) if message.kind == MessageKind.INVOICE else None
    context = {
        "message": message,
        "kind": message.kind,
        "booking": booking,
        "event": event,
        "invoice": invoice,
        "base": settings.PUBLIC_BASE_URL,
        "link": f"{settings.PUBLIC_BASE_URL}{booking.get_absolute_url()}",
        "show_link": booking.status == "booked" and event.status == "published",
    }
    email = EmailMultiAlternatives(
        subject=SUBJECTS[message.kind].format(title=event.title),
        body=render_to_string(TEMPLATE, context),
        to=[booking.email],
        connection=connection,
        headers={"Message-ID": f"<event-message-{message.pk}@{calendar.domain()}>"},
    )
    if message.calendar:
        email.attach(_calendar_part(booking, message))
    if invoice is not None and invoice.pdf:
        email.attach(f"invoice-{invoice.number}.pdf", bytes(invoice.pdf), "application/pdf")
    return email


def _calendar_part(booking: Booking, message: EventMessage) -> MIMEText:
    ics = calendar.invitation(booking, message.calendar, message.sequence)
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", message.calendar)
    filename = "cancel.ics" if message.calendar == CalendarMethod.CANCEL else "invite.ics"
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _invoice(booking: Booking) -> Invoice | None:
    return Invoice.objects.filter(booking=booking).first()
