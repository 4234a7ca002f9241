"""Events: list them, read one, book a place and cancel a booking, with the web's rules.

Anyone may read published learning events; a token also sees its owner's provider's staff
consultation meetings, and the drafts they organise. Booking and cancelling need a token
with the ``book-events`` scope and follow :mod:`mutuals.events.booking` exactly: the
database's clock decides whether a rate or booking is still open, a staff place needs the
register, a paid place needs invoice details, and a full event puts the booker on the
waiting list (``status`` says which). The online link is given only to people with a
booked place and to the organisers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Count, Q
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from mutuals.api.auth import PUBLIC_READ, BearerToken, caller
from mutuals.api.errors import ApiProblem, FieldError, not_found
from mutuals.api.listing import PageParams, page
from mutuals.api.routers.register import MAX_ID, organisation_ref
from mutuals.api.schemas import OrganisationRef, StrictInput, page_of, responses
from mutuals.events import access
from mutuals.events import booking as service
from mutuals.events.errors import EventError, EventInvalid, NotAllowed
from mutuals.events.models import ACTIVE, HOLDING_A_PLACE, Booking, BookingStatus, Event

router = Router(tags=["Events"])
BOOK = BearerToken("book-events")
REFERENCE = r"^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$"
CONFLICT = 409


class RateOut(Schema):
    id: int
    name: str
    price: str = Field(description="Pounds, as a decimal string; 0.00 is free.")
    book_by: datetime | None = Field(description="Can be chosen until this moment.")
    open: bool = Field(description="Whether it can be chosen now.")
    staff_of: OrganisationRef | None = Field(
        description="Only for staff of this provider, as its member register shows."
    )


class EventSummary(Schema):
    id: int
    kind: str = Field(description="consultation (a staff consultation meeting) or learning")
    status: str = Field(description="draft, published or cancelled")
    title: str
    starts_at: datetime
    ends_at: datetime
    booking_deadline: datetime
    organised_by: str
    provider: OrganisationRef | None = Field(description="Consultation meetings: whose staff.")
    host: OrganisationRef | None = Field(description="Learning events: the hosting body.")
    capacity: int
    places_left: int = Field(description="0 when full: bookings join the waiting list.")
    url: str


class EventDetail(EventSummary):
    description: str
    venue: str
    online: bool = Field(description="Whether it can be joined online.")
    online_url: str | None = Field(
        description="Only for people with a booked place, and the organisers."
    )
    accessibility: str
    ballot: int | None = Field(description="The ballot a consultation meeting comes before.")
    rates: list[RateOut]
    your_booking: str | None = Field(description="Your current booking's reference, if any.")


class BillingIn(StrictInput):
    method: Literal["invoice", "purchase_order"]
    organisation: str = Field(max_length=200, description="The organisation to invoice.")
    address: str = Field(max_length=1000)
    email: str = Field(max_length=254, description="Where the invoice is sent.")
    purchase_order: str = Field("", max_length=100, description="Needed for purchase_order.")


class BookingIn(StrictInput):
    rate: int = Field(ge=1, le=MAX_ID, description="One of the event's rates, by id.")
    name: str = Field(max_length=200, description="Who is attending.")
    organisation: str = Field("", max_length=200)
    email: str = Field(max_length=254, description="For the confirmation and invitation.")
    access_needs: str = Field("", max_length=2000)
    billing: BillingIn | None = Field(None, description="Needed for a paid rate.")


class BookingOut(Schema):
    reference: str
    event: int
    status: str = Field(description="booked, waiting, offered, cancelled or lapsed")
    rate: str = Field(description="The rate as it was when booked.")
    price: str = Field(description="Pounds, fixed when booked.")
    booked_at: datetime = Field(description="The database's clock when the place was asked for.")
    offer_expires_at: datetime | None = Field(description="When an offered place lapses.")
    invoice: str | None = Field(description="The invoice's number, for a paid place.")
    url: str


EventPage = page_of(EventSummary)
When = Literal["upcoming", "past", "all"]
Kind = Literal["consultation", "learning"]


class EventFilter(Schema):
    when: When = Field("upcoming", description="upcoming (not yet ended), past, or all")
    kind: Kind | None = Field(None, description="consultation or learning")


def _events(request, action: str = "view"):
    return (
        access.events(caller(request).viewer, action)
        .select_related("provider", "host")
        .annotate(held=Count("bookings", filter=Q(bookings__status__in=HOLDING_A_PLACE)))
    )


def _summary(request, event: Event) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "status": event.status,
        "title": event.title,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "booking_deadline": event.booking_deadline,
        "organised_by": event.organised_by,
        "provider": organisation_ref(event.provider),
        "host": organisation_ref(event.host),
        "capacity": event.capacity,
        "places_left": max(event.capacity - event.held, 0),
        "url": request.build_absolute_uri(event.get_absolute_url()),
    }


@router.get(
    "/events", response=responses({200: EventPage}), auth=PUBLIC_READ, summary="List events"
)
def list_events(request, paging: Query[PageParams], where: Query[EventFilter]):
    """Events you may see, soonest first (by start, then id)."""
    found = _events(request)
    now = timezone.now()
    if where.when == "upcoming":
        found = found.filter(ends_at__gte=now)
    elif where.when == "past":
        found = found.filter(ends_at__lt=now)
    if where.kind:
        found = found.filter(kind=where.kind)
    return page(request, found.order_by("starts_at", "pk"), paging, lambda e: _summary(request, e))


def _visible(request, id: int) -> Event:
    event = _events(request).filter(pk=id).first()
    if event is None:
        raise not_found(f"event {id}")
    return event


@router.get(
    "/events/{id}",
    response=responses({200: EventDetail}),
    auth=PUBLIC_READ,
    summary="Read an event and its rates",
)
def get_event(request, id: int = Path(..., ge=1, le=MAX_ID)):
    event = _visible(request, id)
    viewer = caller(request).viewer
    own = None
    if viewer.user_id is not None:
        own = Booking.objects.filter(event=event, user_id=viewer.user_id, status__in=ACTIVE).first()
    shown = access.may_change(viewer, event) or (own is not None and own.status == "booked")
    now = timezone.now()
    return {
        **_summary(request, event),
        "description": event.description,
        "venue": event.venue,
        "online": bool(event.online_url),
        "online_url": (event.online_url or None) if shown else None,
        "accessibility": event.accessibility,
        "ballot": event.ballot_id,
        "rates": [
            {
                "id": rate.pk,
                "name": rate.name,
                "price": f"{rate.price:.2f}",
                "book_by": rate.book_by,
                "open": rate.open_at(now),
                "staff_of": organisation_ref(rate.staff_of),
            }
            for rate in event.rates.select_related("staff_of")
        ],
        "your_booking": own.reference if own else None,
    }


def booking_json(request, booking: Booking) -> dict:
    invoice = getattr(booking, "invoice", None)
    return {
        "reference": booking.reference,
        "event": booking.event_id,
        "status": booking.status,
        "rate": booking.rate_name,
        "price": f"{booking.price:.2f}",
        "booked_at": booking.booked_at,
        "offer_expires_at": booking.offer_expires_at
        if booking.status == BookingStatus.OFFERED
        else None,
        "invoice": invoice.number if invoice else None,
        "url": request.build_absolute_uri(booking.get_absolute_url()),
    }


def _problem(error: EventError) -> ApiProblem:
    """A refusal from the booking service, as the problem the API answers with."""
    if isinstance(error, NotAllowed):
        return ApiProblem(403, "forbidden", str(error))
    if isinstance(error, EventInvalid):
        fields = [FieldError(reason, field=_field(name)) for name, reason in error.problems.items()]
        return ApiProblem(422, "invalid-request", str(error), fields)
    return ApiProblem(CONFLICT, "booking-refused", str(error))


def _field(name: str) -> str:
    billing = {"payment_method": "billing", "billing_organisation": "billing.organisation",
               "billing_address": "billing.address", "billing_email": "billing.email",
               "purchase_order": "billing.purchase_order"}  # fmt: skip
    return billing.get(name, name)


@router.post(
    "/events/{id}/bookings",
    response=responses({201: BookingOut}, CONFLICT),
    auth=BOOK,
    summary="Book a place (or join the waiting list)",
)
def book_place(request, body: BookingIn, id: int = Path(..., ge=1, le=MAX_ID)):
    """201 with ``status`` booked, or waiting when the event is full. 409 when booking has
    closed, the rate's book-by moment has passed (by the database's clock), or the person
    already has a place; 403 for a staff place the register does not give you."""
    event = _visible(request, id)
    billing = None
    if body.billing is not None:
        billing = service.Billing(
            method=body.billing.method,
            organisation=body.billing.organisation,
            address=body.billing.address,
            email=body.billing.email,
            purchase_order=body.billing.purchase_order,
        )
    attendee = service.Attendee(body.name, body.organisation, body.email, body.access_needs)
    who = caller(request)
    try:
        booking = service.book(who.viewer, who.user, event.pk, body.rate, attendee, billing)
    except EventError as error:
        raise _problem(error) from error
    return Status(201, booking_json(request, booking))


@router.post(
    "/bookings/{reference}/cancel",
    response=responses({200: BookingOut}, CONFLICT),
    auth=BOOK,
    summary="Cancel a booking",
)
def cancel_booking(request, reference: str = Path(..., pattern=REFERENCE)):
    """Give up a place, an offered place or a place on the waiting list (the booker, or the
    event's organisers); a freed place is offered to the next person waiting."""
    who = caller(request)
    try:
        booking = service.cancel_booking(who.viewer, who.user, reference)
    except NotAllowed:
        raise not_found(f"booking {reference}") from None
    except EventError as error:
        raise _problem(error) from error
    return booking_json(request, booking)
