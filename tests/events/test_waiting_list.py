"""The waiting list: a freed place offered to the first in line for a limited time, taken
on acceptance, passed on when the offer lapses (the periodic tick), and never past capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from events.event_world import (
    EARLY,
    book,
    booker,
)
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import organising
from mutuals.events.booking import accept_offer, cancel_booking
from mutuals.events.errors import OfferLapsed, WrongState
from mutuals.events.models import Booking, BookingStatus, Event, EventMessage
from mutuals.events.tasks import tick_events
from mutuals.events.waiting import expire_offers


@pytest.fixture
def full(learning_event):
    """One place, taken; two people waiting, the first at the early-bird rate."""
    Event.objects.filter(pk=learning_event.pk).update(capacity=1)
    learning_event.refresh_from_db()
    holder = book(booker(), learning_event)
    first = book(booker(), learning_event, "Early bird")
    second = book(booker(), learning_event)
    assert (first.status, second.status) == (BookingStatus.WAITING, BookingStatus.WAITING)
    return learning_event, holder, first, second


def cancel(booking):
    return cancel_booking(viewer_for_user(booking.user), booking.user, booking.reference)


def accept(booking):
    return accept_offer(viewer_for_user(booking.user), booking.user, booking.reference)


def status(booking) -> str:
    booking.refresh_from_db()
    return booking.status


def test_a_freed_place_is_offered_to_the_first_in_line_for_a_limited_time(full, settings):
    settings.EVENTS_OFFER_HOURS = 12
    event, holder, first, second = full
    cancel(holder)
    first.refresh_from_db()
    assert first.status == BookingStatus.OFFERED and status(second) == BookingStatus.WAITING
    assert first.offer_expires_at - first.offered_at == dt.timedelta(hours=12)
    assert EventMessage.objects.filter(booking=first, kind="offer").exists()
    accepted = accept(first)
    assert accepted.status == BookingStatus.BOOKED and accepted.price == EARLY  # kept from joining
    assert accepted.invoice.amount == EARLY
    assert Booking.objects.filter(event=event, status="booked").count() == 1


def test_an_offer_not_accepted_in_time_lapses_and_passes_on(full):
    event, holder, first, second = full
    cancel(holder)
    a_minute_ago = timezone.now() - dt.timedelta(minutes=1)
    Booking.objects.filter(pk=first.pk).update(offer_expires_at=a_minute_ago)
    with pytest.raises(OfferLapsed):
        accept(first)
    tick_events.enqueue()  # the periodic task the scheduler queues every minute
    assert status(first) == BookingStatus.LAPSED
    assert status(second) == BookingStatus.OFFERED
    assert EventMessage.objects.filter(booking=first, kind="lapsed").exists()
    # Nobody is left waiting: when the second offer lapses the place is simply free.
    Booking.objects.filter(pk=second.pk).update(offer_expires_at=a_minute_ago)
    assert expire_offers() == 1
    assert Booking.objects.filter(event=event, status__in=["booked", "offered"]).count() == 0
    latecomer = book(booker(), event)
    assert latecomer.status == BookingStatus.BOOKED


def test_declining_an_offer_passes_it_on_and_a_second_accept_is_refused(full):
    event, holder, first, second = full
    cancel(holder)
    cancel(first)  # declining is cancelling the offer
    assert status(second) == BookingStatus.OFFERED
    accept(second)
    with pytest.raises(WrongState):
        accept(second)


def test_more_places_go_to_the_people_waiting(full, people):
    event, holder, first, second = full
    auditor = people["auditor"]
    draft = organising.draft_of(event)
    organising.update_event(viewer_for_user(auditor), auditor, event,
                            organising.EventDraft(**{**draft.__dict__, "capacity": 3}))  # fmt: skip
    assert (status(first), status(second)) == (BookingStatus.OFFERED, BookingStatus.OFFERED)


def test_capacity_cannot_drop_below_the_places_taken(full, people):
    from mutuals.events.errors import EventInvalid

    event, *_ = full
    auditor = people["auditor"]

    def resize(capacity):
        draft = organising.draft_of(event)
        return organising.update_event(viewer_for_user(auditor), auditor, event,
                                       organising.EventDraft(**{**draft.__dict__, "capacity": capacity}))  # fmt: skip

    resize(3)  # one booked and two offered hold three places
    with pytest.raises(EventInvalid, match="3 places are taken"):
        resize(2)


def test_everyone_waiting_is_emailed_and_told_in_order(full):
    from mutuals.events import mail as event_mail

    event_mail.send_pending()
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count(f"You are on the waiting list: {full[0].title}") == 2


def test_an_offer_never_runs_past_the_event_s_start(full, settings):
    settings.EVENTS_OFFER_HOURS = 48
    event, holder, first, second = full
    starts = timezone.now() + dt.timedelta(hours=3)
    Event.objects.filter(pk=event.pk).update(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
        booking_deadline=starts - dt.timedelta(hours=1),
    )  # fmt: skip
    cancel(holder)
    first.refresh_from_db()
    assert first.status == BookingStatus.OFFERED and first.offer_expires_at == starts
