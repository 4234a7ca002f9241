"""For organisers: attendance marked on the day, and the numbers by rate with the income.

The numbers are counts and sums of the bookings' rows, which stay when the attendees'
details are removed after the event, so they never change afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.accounts.permissions import Viewer
from mutuals.events import access
from mutuals.events.errors import EventInvalid, NotAllowed, WrongState
from mutuals.events.models import Booking, BookingStatus, Event, EventStatus


def mark_attendance(
    viewer: Viewer, user, event: Event, attended: dict[str, bool]
) -> dict[str, bool]:
    """Mark booked places as attended or not, by reference; what was marked. Open from the
    day of the event."""
    if not access.may_mark_attendance(viewer, event):
        raise NotAllowed("Only the event's organisers can mark attendance.")
    if event.status != EventStatus.PUBLISHED:
        raise WrongState("Attendance is marked for published events only.")
    if timezone.localdate() < timezone.localdate(event.starts_at):
        raise WrongState(
            f"Attendance is marked from the day of the event, "
            f"{timezone.localdate(event.starts_at):%-d %B %Y}."
        )
    wanted = {reference.strip().upper(): value for reference, value in attended.items()}
    booked = Booking.objects.filter(
        event=event, status=BookingStatus.BOOKED, reference__in=list(wanted)
    )
    found = set(booked.values_list("reference", flat=True))
    unknown = sorted(set(wanted) - found)
    if unknown:
        raise EventInvalid(
            {"reference": f"No booked place at this event has the reference {unknown[0]}"},
            "Attendance was not marked",
        )
    with transaction.atomic():
        for value in (True, False):
            chosen = [ref for ref, came in wanted.items() if came is value]
            Booking.objects.filter(event=event, reference__in=chosen).update(attended=value)
        audit.record(
            "event.attendance",
            user=user,
            obj=event,
            organisation=event.provider,
            changes={
                "attended": sum(wanted.values()),
                "absent": len(wanted) - sum(wanted.values()),
            },
        )
    return wanted


@dataclass(frozen=True)
class RateNumbers:
    rate: str
    price: Decimal
    booked: int
    offered: int
    waiting: int
    cancelled: int
    attended: int
    income: Decimal


def numbers(event: Event) -> list[RateNumbers]:
    """Per rate, as booked (the name and price each booking was made at): places booked,
    offered, waiting, cancelled and attended, and the income from booked places."""

    def count(status: str) -> Count:
        return Count("pk", filter=Q(status=status))

    rows = (
        Booking.objects.filter(event=event)
        .values("rate_name", "price")
        .annotate(
            booked=count(BookingStatus.BOOKED),
            offered=count(BookingStatus.OFFERED),
            waiting=count(BookingStatus.WAITING),
            cancelled=count(BookingStatus.CANCELLED),
            attended=Count("pk", filter=Q(status=BookingStatus.BOOKED, attended=True)),
            income=Sum("price", filter=Q(status=BookingStatus.BOOKED)),
        )
        .order_by("rate_name", "price")
    )
    return [
        RateNumbers(
            rate=row["rate_name"],
            price=row["price"],
            booked=row["booked"],
            offered=row["offered"],
            waiting=row["waiting"],
            cancelled=row["cancelled"],
            attended=row["attended"],
            income=Decimal(row["income"] or 0),
        )
        for row in rows
    ]


def totals(rows: list[RateNumbers]) -> RateNumbers:
    return RateNumbers(
        rate="All rates",
        price=Decimal(0),
        booked=sum(r.booked for r in rows),
        offered=sum(r.offered for r in rows),
        waiting=sum(r.waiting for r in rows),
        cancelled=sum(r.cancelled for r in rows),
        attended=sum(r.attended for r in rows),
        income=sum((r.income for r in rows), Decimal(0)),
    )


def waiting_list(event: Event):
    """People waiting (and offered a place), in the order places are offered."""
    return Booking.objects.filter(
        event=event, status__in=[BookingStatus.OFFERED, BookingStatus.WAITING]
    ).order_by("booked_at", "pk")
