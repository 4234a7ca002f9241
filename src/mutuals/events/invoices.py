"""Invoices for paid places, typeset as PDF by a worker and kept in the database.

A paid place gets its invoice when it is booked (or an offered place accepted): the
invoice's number and amount are fixed in that transaction, and a worker typesets the PDF
(WeasyPrint, seconds of CPU, never in a request), keeps it on the invoice and emails it to
the booker. Pages and the API only serve the stored bytes; until a worker has made it,
they say it is being made. The minute tick queues again any invoice left without a PDF.
WeasyPrint fetches nothing: the HTML carries its own styles and only ``data:`` addresses
are allowed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from mutuals.events import mail
from mutuals.events.models import Booking, Invoice, MessageKind

TEMPLATE = "mutuals/events/invoice.html"
PAYMENT_DAYS = 30
REQUEUE_AFTER = timedelta(minutes=10)


def issue(booking: Booking, now: datetime) -> Invoice:
    """The booking's invoice, numbered now; its PDF is made by a worker after the commit."""
    from mutuals.events.tasks import make_invoice

    invoice = Invoice.objects.create(
        booking=booking,
        number=f"EV{booking.event_id:04d}-{booking.pk:06d}",
        amount=booking.price,
        issued_at=now,
    )
    transaction.on_commit(lambda: make_invoice.enqueue(invoice.pk))
    return invoice


def invoice_html(invoice: Invoice) -> str:
    booking = invoice.booking
    return render_to_string(
        TEMPLATE,
        {
            "invoice": invoice,
            "booking": booking,
            "event": booking.event,
            "due": timezone.localdate(invoice.issued_at) + timedelta(days=PAYMENT_DAYS),
        },
    )


def typeset(html: str) -> bytes:
    """``html`` as PDF, fetching nothing (the same rules as the reports' PDFs)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def make(invoice_id: int) -> bool:
    """Typeset the invoice, keep it and queue its email; False if it was made already or
    its booking's details have since been removed."""
    invoice = Invoice.objects.select_related("booking__event").get(pk=invoice_id)
    if invoice.made_at is not None or invoice.booking.anonymised_at is not None:
        return False
    pdf = typeset(invoice_html(invoice))
    with transaction.atomic():
        made = Invoice.objects.filter(pk=invoice.pk, made_at__isnull=True).update(
            pdf=pdf, made_at=timezone.now(), error=""
        )
        if made:
            mail.queue(invoice.booking, MessageKind.INVOICE)
            mail.send_soon()
    return bool(made)


def unmade(now: datetime | None = None) -> list[int]:
    """Invoices still without a PDF some minutes after they were issued."""
    now = now or timezone.now()
    return list(
        Invoice.objects.filter(
            made_at__isnull=True,
            issued_at__lte=now - REQUEUE_AFTER,
            booking__anonymised_at__isnull=True,
        ).values_list("pk", flat=True)
    )
