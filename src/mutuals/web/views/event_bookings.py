"""A booker's bookings: the list, one booking with its calendar file and invoice, the
confirmation page, accepting an offered place and cancelling.

A booking is found by its reference through :func:`mutuals.events.access.bookings`: its
booker and its event's organisers see it, nobody else (404). Every step calls
:mod:`mutuals.events.booking`; its refusals are shown on the page they came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from mutuals.accounts.permissions import viewer_for
from mutuals.events import access, calendar
from mutuals.events import booking as service
from mutuals.events.errors import EventError, NotAllowed
from mutuals.events.models import ACTIVE, Booking, BookingStatus
from mutuals.web.views.events import crumbs

NOT_STORED = "private, no-store"


def _booking(request, reference: str) -> Booking:
    try:
        return service.own_booking(viewer_for(request), reference)
    except NotAllowed:
        raise Http404("No such booking") from None


@login_required
def my_bookings(request):
    viewer = viewer_for(request)
    own = (
        access.bookings(viewer)
        .filter(user_id=viewer.user_id)
        .select_related("event")
        .order_by("-event__starts_at", "-pk")
    )
    return render(
        request,
        "mutuals/events/my_bookings.html",
        {
            "current": [b for b in own if b.status in ACTIVE],
            "ended": [b for b in own if b.status not in ACTIVE][:50],
            "breadcrumbs": crumbs(),
        },
    )


def _context(request, booking: Booking, **extra) -> dict:
    event = booking.event
    invoice = getattr(booking, "invoice", None) if booking.price else None
    return {
        "booking": booking,
        "event": event,
        "invoice": invoice,
        "is_booker": booking.user_id == request.user.pk,
        "may_cancel": booking.status in ACTIVE
        and timezone.now() < event.starts_at
        and service.may_cancel(viewer_for(request), request.user, booking),
        "breadcrumbs": crumbs(event),
        **extra,
    }


@login_required
def booking_page(request, reference: str, *, problems=(), status: int = 200):
    booking = _booking(request, reference)
    return render(
        request,
        "mutuals/events/booking.html",
        _context(request, booking, problems=list(problems)),
        status=status,
    )


@login_required
def booking_done(request, reference: str):
    booking = _booking(request, reference)
    return render(request, "mutuals/events/booking_done.html", _context(request, booking))


@login_required
def accept(request, reference: str):
    booking = _booking(request, reference)
    if request.method == "POST":
        try:
            service.accept_offer(viewer_for(request), request.user, booking.reference)
        except EventError as error:
            return booking_page(
                request, reference, problems=[("#main-content", str(error))], status=409
            )
        return redirect("booking-done", reference=booking.reference)
    if booking.status != BookingStatus.OFFERED:
        return redirect(booking)
    return render(request, "mutuals/events/accept.html", _context(request, booking))


@login_required
def cancel(request, reference: str):
    booking = _booking(request, reference)
    if request.method == "POST":
        try:
            service.cancel_booking(viewer_for(request), request.user, booking.reference)
        except EventError as error:
            return booking_page(
                request, reference, problems=[("#main-content", str(error))], status=409
            )
        messages.success(request, f"Booking {booking.reference} is cancelled")
        return redirect(booking)
    return render(request, "mutuals/events/cancel_booking.html", _context(request, booking))


@login_required
def invoice_pdf(request, reference: str):
    booking = _booking(request, reference)
    invoice = getattr(booking, "invoice", None)
    if invoice is None or not invoice.pdf:
        raise Http404("The invoice is not ready yet")
    response = HttpResponse(bytes(invoice.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    response["Cache-Control"] = NOT_STORED
    return response


@login_required
def calendar_file(request, reference: str):
    """The booked place as a calendar file, with the same UID and SEQUENCE the emailed
    invitations carry, so importing it never duplicates the entry."""
    booking = _booking(request, reference)
    if booking.status != BookingStatus.BOOKED:
        raise Http404("Only a booked place goes in a calendar")
    ics = calendar.invitation(booking, "PUBLISH", booking.calendar_sequence)
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    response["Cache-Control"] = NOT_STORED
    return response
