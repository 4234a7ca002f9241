"""Booking a place, accepting an offered one, and cancelling: the services every edge calls.

A booking is one transaction under the event's lock (:func:`~mutuals.events.waiting.lock_event`),
decided by the database's clock read in that lock: the event must be published, before its
booking deadline and start; the rate chosen must still be open (its "book by" moment not
reached); a staff place needs the register to show the person as staff of the provider
employed on the event's day. The rate's name and price are copied into the booking then,
and never change after. If fewer places are held than the capacity, the place is booked;
otherwise the person joins the waiting list at that rate and price, in order.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.accounts.permissions import Viewer
from mutuals.events import access, invoices, mail
from mutuals.events.errors import (
    AlreadyBooked,
    BookingClosed,
    EventInvalid,
    NotAllowed,
    NotStaff,
    OfferLapsed,
    RateClosed,
    WrongState,
)
from mutuals.events.models import (
    ACTIVE,
    Booking,
    BookingStatus,
    CalendarMethod,
    Event,
    EventStatus,
    MessageKind,
    PaymentMethod,
    Rate,
)
from mutuals.events.waiting import fill_places, lock_event, places_held
from mutuals.governance.models.register import STAFF_GROUPS, Person, employed_on
from mutuals.registry.models import Organisation

# Letters and digits nobody confuses when reading a reference out (no I, L, O, U, 0 or 1).
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
PAYMENT_METHODS = (PaymentMethod.INVOICE, PaymentMethod.PURCHASE_ORDER)


@dataclass(frozen=True)
class Attendee:
    """Who the place is for."""

    name: str
    organisation: str
    email: str
    access_needs: str = ""


@dataclass(frozen=True)
class Billing:
    """How a paid place is paid for: an invoice, or one quoting a purchase order."""

    method: str
    organisation: str
    address: str
    email: str
    purchase_order: str = ""


def event_day(event: Event) -> date:
    return timezone.localdate(event.starts_at)


def staff_person(user, provider: Organisation, day: date) -> Person | None:
    """The user's entry on the provider's register if it shows them as staff employed on
    ``day``; None otherwise. This, not a role, decides who may take a staff place."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Person.objects.filter(organisation=provider, user=user, role_group__in=STAFF_GROUPS)
        .filter(employed_on(day))
        .first()
    )


def problems_in(attendee: Attendee, billing: Billing | None) -> dict[str, str]:
    problems = {}
    if not attendee.name.strip():
        problems["name"] = "Enter the name of the person attending"
    elif len(attendee.name) > 200:
        problems["name"] = "The name must be 200 characters or fewer"
    if len(attendee.organisation) > 200:
        problems["organisation"] = "The organisation must be 200 characters or fewer"
    problems |= _email_problem("email", attendee.email)
    if len(attendee.access_needs) > 2000:
        problems["access_needs"] = "Access needs must be 2,000 characters or fewer"
    if billing is not None:
        problems |= _billing_problems(billing)
    return problems


def _email_problem(field: str, value: str) -> dict[str, str]:
    try:
        validate_email(value.strip())
    except ValidationError:
        return {field: "Enter an email address in the correct format, like name@example.org"}
    return {}


def _billing_problems(billing: Billing) -> dict[str, str]:
    problems = {}
    if billing.method not in PAYMENT_METHODS:
        problems["payment_method"] = "Select how the place will be paid for"
    if not billing.organisation.strip():
        problems["billing_organisation"] = "Enter the organisation to invoice"
    if not billing.address.strip():
        problems["billing_address"] = "Enter the address to send the invoice to"
    problems |= {
        "billing_email" if k == "email" else k: v
        for k, v in _email_problem("email", billing.email).items()
    }
    if billing.method == PaymentMethod.PURCHASE_ORDER and not billing.purchase_order.strip():
        problems["purchase_order"] = "Enter the purchase order number"
    if len(billing.purchase_order) > 100:
        problems["purchase_order"] = "The purchase order number must be 100 characters or fewer"
    return problems


def book(
    viewer: Viewer,
    user,
    event_id: int,
    rate_id: int,
    attendee: Attendee,
    billing: Billing | None = None,
) -> Booking:
    """Book a place (or a place on the waiting list) at ``rate_id``; the booking made."""
    problems = problems_in(attendee, billing)
    if problems:
        raise EventInvalid(problems, "The place was not booked")
    with transaction.atomic():
        event, now = lock_event(event_id)
        _check_open(event, now)
        if not access.may_book(viewer, event):
            raise NotAllowed("You cannot book a place at this event.")
        rate = _open_rate(event, rate_id, now)
        person = _staff_place(event, rate, user)
        _refuse_twice(event, attendee.email, person)
        if rate.price > 0 and billing is None:
            raise EventInvalid(
                {"payment_method": "Say how the place will be paid for"}, "The place was not booked"
            )
        booking = Booking.objects.create(
            event=event,
            rate=rate,
            reference=new_reference(),
            status=BookingStatus.BOOKED
            if places_held(event) < event.capacity
            else BookingStatus.WAITING,
            rate_name=rate.name,
            price=rate.price,
            booked_at=now,
            user=user if getattr(user, "is_authenticated", False) else None,
            person=person,
            name=attendee.name.strip(),
            # A staff place is at the provider, whatever was typed.
            organisation=person.organisation.name if person else attendee.organisation.strip(),
            email=attendee.email.strip(),
            access_needs=attendee.access_needs.strip(),
            **_payment(rate.price, billing),
        )
        if booking.status == BookingStatus.BOOKED:
            _confirm(booking, now)
        else:
            mail.queue(booking, MessageKind.WAITING)
        _audit("booking.create", user, booking)
        mail.send_soon()
    return booking


def _check_open(event: Event, now) -> None:
    if event.status == EventStatus.CANCELLED:
        raise BookingClosed("This event has been cancelled.")
    if event.status != EventStatus.PUBLISHED:
        raise BookingClosed("This event is not open for booking yet.")
    if now >= event.booking_deadline or now >= event.starts_at:
        raise BookingClosed(
            f"Booking closed at {timezone.localtime(event.booking_deadline):%-d %B %Y %H:%M}."
        )


def _open_rate(event: Event, rate_id: int, now) -> Rate:
    rate = Rate.objects.filter(pk=rate_id, event=event).first()
    if rate is None:
        raise EventInvalid({"rate": "Choose one of this event's rates"}, "The place was not booked")
    if not rate.open_at(now):
        raise RateClosed(
            f"The {rate.name} rate closed at {timezone.localtime(rate.book_by):%-d %B %Y %H:%M}: "
            "choose another rate."
        )
    return rate


def _staff_place(event: Event, rate: Rate, user) -> Person | None:
    provider = event.provider if event.is_consultation else rate.staff_of
    if provider is None:
        return None
    person = staff_person(user, provider, event_day(event))
    if person is None:
        raise NotStaff(
            f"This place is for staff of {provider.name}: its member register does not show "
            f"you as staff employed there on {event_day(event):%-d %B %Y}. Ask its managers "
            "to link your sign-in to your entry on the register."
        )
    return person


def _refuse_twice(event: Event, email: str, person: Person | None) -> None:
    clash = Q(email__iexact=email.strip())
    if person is not None:
        clash |= Q(person=person)
    if Booking.objects.filter(clash, event=event, status__in=ACTIVE).exists():
        raise AlreadyBooked(
            "There is already a place (or a place on the waiting list) for "
            f"{'you' if person else email.strip()} at this event."
        )


def _payment(price: Decimal, billing: Billing | None) -> dict:
    if price <= 0 or billing is None:
        return {"payment_method": PaymentMethod.FREE}
    return {
        "payment_method": billing.method,
        "billing_organisation": billing.organisation.strip(),
        "billing_address": billing.address.strip(),
        "billing_email": billing.email.strip(),
        "purchase_order": billing.purchase_order.strip(),
    }


def new_reference() -> str:
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{code[:4]}-{code[4:]}"
        if not Booking.objects.filter(reference=reference).exists():
            return reference


def _confirm(booking: Booking, now) -> None:
    """A place is the booker's: the invoice (if any) and the invitation follow."""
    booking.status = BookingStatus.BOOKED
    booking.confirmed_at = now
    booking.save(update_fields=["status", "confirmed_at"])
    if booking.price > 0:
        invoices.issue(booking, now)
    mail.queue(
        booking,
        MessageKind.CONFIRMATION,
        calendar_method=CalendarMethod.REQUEST,
        sequence=booking.calendar_sequence,
    )


def _audit(action: str, user, booking: Booking, **changes) -> None:
    """Bookings in the audit trail, without the attendee's details (those are deleted after
    the event; the trail is kept)."""
    audit.record(
        action,
        user=user,
        obj=booking,
        organisation=booking.event.provider,
        changes={
            "event": booking.event_id,
            "reference": booking.reference,
            "status": booking.status,
            "rate": booking.rate_name,
            "price": str(booking.price),
            **changes,
        },
    )


def own_booking(viewer: Viewer, reference: str) -> Booking:
    """A booking the viewer may see, by its reference (NotAllowed if none)."""
    booking = (
        access.bookings(viewer)
        .select_related("event__provider", "event__host", "rate")
        .filter(reference=reference.strip().upper())
        .first()
    )
    if booking is None:
        raise NotAllowed(f"There is no booking {reference} that you may see.")
    return booking


def accept_offer(viewer: Viewer, user, reference: str) -> Booking:
    """The booker takes the place offered to them, if the offer has not lapsed."""
    booking = own_booking(viewer, reference)
    if booking.user_id is None or booking.user_id != getattr(user, "pk", None):
        raise NotAllowed("Only the person who booked can accept the place offered.")
    with transaction.atomic():
        event, now = lock_event(booking.event_id)
        booking.refresh_from_db()
        if booking.status != BookingStatus.OFFERED:
            raise WrongState(f"Booking {booking.reference} has no place on offer.")
        if now >= booking.offer_expires_at or event.status != EventStatus.PUBLISHED:
            raise OfferLapsed(
                "The offer was not accepted in time, so the place has gone to the next person "
                "waiting."
            )
        _confirm(booking, now)
        _audit("booking.accept-offer", user, booking)
        mail.send_soon()
    return booking


def may_cancel(viewer: Viewer, user, booking: Booking) -> bool:
    """The booker, or the event's organisers (those who may change its bookings)."""
    if booking.user_id is not None and booking.user_id == getattr(user, "pk", None):
        return True
    return access.bookings(viewer, "change").filter(pk=booking.pk).exists()


def cancel_booking(viewer: Viewer, user, reference: str) -> Booking:
    """Give up a place (or a waiting-list place, or an offer); a freed place is offered on."""
    booking = own_booking(viewer, reference)
    if not may_cancel(viewer, user, booking):
        raise NotAllowed("Only the person who booked, or the event's organisers, can cancel it.")
    with transaction.atomic():
        event, now = lock_event(booking.event_id)
        booking.refresh_from_db()
        if booking.status not in ACTIVE:
            raise WrongState(
                f"Booking {booking.reference} is already {booking.get_status_display().lower()}."
            )
        if now >= event.starts_at:
            raise WrongState("The event has started: a booking cannot be cancelled now.")
        was_booked, held = booking.status == BookingStatus.BOOKED, booking.holds_a_place
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        if was_booked:
            booking.calendar_sequence += 1
        booking.save(update_fields=["status", "cancelled_at", "calendar_sequence"])
        mail.queue(
            booking,
            MessageKind.CANCELLED,
            calendar_method=CalendarMethod.CANCEL if was_booked else CalendarMethod.NONE,
            sequence=booking.calendar_sequence,
        )
        if held:
            fill_places(event, now)
        _audit("booking.cancel", user, booking)
        mail.send_soon()
    return booking
