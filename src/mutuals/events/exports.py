"""An event's bookings and waiting list as CSV, for its organisers.

Names, organisations and access needs are typed by the people booking, so every text cell
is neutralised (:mod:`mutuals.exports`) before a spreadsheet opens it.
"""

from __future__ import annotations

import polars as pl
from django.utils import timezone

from mutuals.events.models import Booking, Event
from mutuals.exports import neutralise_frame

SCHEMA = {
    "reference": pl.String,
    "status": pl.String,
    "waiting_position": pl.Int64,
    "rate": pl.String,
    "price": pl.Float64,
    "booked_at": pl.String,
    "name": pl.String,
    "organisation": pl.String,
    "email": pl.String,
    "access_needs": pl.String,
    "payment": pl.String,
    "purchase_order": pl.String,
    "invoice": pl.String,
    "attended": pl.Boolean,
}


def bookings_frame(event: Event) -> pl.DataFrame:
    rows = []
    position = 0
    bookings = (
        Booking.objects.filter(event=event).select_related("invoice").order_by("booked_at", "pk")
    )
    for booking in bookings:
        waiting = booking.status == "waiting"
        position += waiting
        invoice = getattr(booking, "invoice", None)
        rows.append(
            {
                "reference": booking.reference,
                "status": booking.status,
                "waiting_position": position if waiting else None,
                "rate": booking.rate_name,
                "price": float(booking.price),
                "booked_at": timezone.localtime(booking.booked_at).strftime("%Y-%m-%d %H:%M:%S"),
                "name": booking.name,
                "organisation": booking.organisation,
                "email": booking.email,
                "access_needs": booking.access_needs,
                "payment": booking.payment_method,
                "purchase_order": booking.purchase_order,
                "invoice": invoice.number if invoice else "",
                "attended": booking.attended,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def bookings_csv(event: Event) -> bytes:
    return neutralise_frame(bookings_frame(event)).write_csv().encode()
