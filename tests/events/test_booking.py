"""Booking: the price fixed by the database's clock at and around a rate's deadline, the
staff-only rule of consultation meetings, and what a booking keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.db.models.functions import Now
from django.utils import timezone

from events.event_world import (
    EARLY,
    STANDARD,
    book,
    booker,
    staff_member,
)
from mutuals.accounts.models import AuditEvent
from mutuals.events.errors import (
    AlreadyBooked,
    BookingClosed,
    EventInvalid,
    NotAllowed,
    NotStaff,
    RateClosed,
)
from mutuals.events.models import Booking, BookingStatus, Event, Rate
from mutuals.governance.models import RoleGroup


def database_now() -> dt.datetime:
    return Event.objects.annotate(now=Now()).values_list("now", flat=True)[:1].get()


def set_deadline(event, moment):
    Rate.objects.filter(event=event, name="Early bird").update(book_by=moment)


def test_the_early_bird_rate_is_fixed_in_the_booking_and_its_confirmation(learning_event):
    from django.core import mail

    from mutuals.events import mail as event_mail

    user = booker()
    booking = book(user, learning_event, "Early bird")
    assert booking.status == BookingStatus.BOOKED
    assert (booking.rate_name, booking.price) == ("Early bird", EARLY)
    # Later changes to the rate never change what was agreed, nor what the email says.
    Rate.objects.filter(event=learning_event, name="Early bird").update(price=Decimal("99"))
    booking.refresh_from_db()
    assert booking.price == EARLY and booking.invoice.amount == EARLY
    event_mail.send_pending()
    (confirmation,) = [m for m in mail.outbox if m.subject.startswith("Booking confirmed")]
    assert "Rate: Early bird, £45.00" in confirmation.body
    assert booking.reference in confirmation.body and "£99" not in confirmation.body


@pytest.mark.parametrize(
    ("before", "open_"),
    [
        (dt.timedelta(minutes=5), True),
        (dt.timedelta(microseconds=1), True),
        (dt.timedelta(0), False),  # at the deadline: closed
        (dt.timedelta(seconds=-1), False),
    ],
)
def test_a_rate_is_open_until_its_book_by_moment_exclusive(before, open_):
    deadline = timezone.now()
    assert (
        Rate(name="Early bird", price=EARLY, book_by=deadline).open_at(deadline - before) is open_
    )
    assert Rate(name="Standard", price=STANDARD).open_at(deadline) is True


def test_around_the_deadline_the_database_clock_decides(learning_event):
    set_deadline(learning_event, database_now() + dt.timedelta(seconds=30))
    assert book(booker(), learning_event, "Early bird").price == EARLY
    set_deadline(learning_event, database_now() - dt.timedelta(microseconds=1))
    with pytest.raises(RateClosed, match="The Early bird rate closed at"):
        book(booker(), learning_event, "Early bird")
    assert book(booker(), learning_event, "Standard").price == STANDARD


def test_a_web_server_clock_that_runs_slow_or_fast_changes_nothing(learning_event):
    """The application's clock is ignored: only the database's says whether the rate is open."""
    set_deadline(learning_event, database_now() - dt.timedelta(seconds=1))
    slow = timezone.now() - dt.timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=slow), pytest.raises(RateClosed):
        book(booker(), learning_event, "Early bird")
    set_deadline(learning_event, database_now() + dt.timedelta(minutes=10))
    fast = timezone.now() + dt.timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=fast):
        booking = book(booker(), learning_event, "Early bird")
    assert booking.price == EARLY
    assert booking.booked_at < booking.rate.book_by  # stamped by the database, not the app


def test_booking_closes_at_the_deadline_by_the_database_clock(learning_event):
    Event.objects.filter(pk=learning_event.pk).update(booking_deadline=database_now())
    with pytest.raises(BookingClosed, match="Booking closed at"):
        book(booker(), learning_event)


def test_drafts_and_cancelled_events_take_no_bookings(people, learning_event):
    Event.objects.filter(pk=learning_event.pk).update(status="draft")
    with pytest.raises(BookingClosed, match="not open for booking"):
        book(booker(), learning_event)
    Event.objects.filter(pk=learning_event.pk).update(status="cancelled")
    with pytest.raises(BookingClosed, match="cancelled"):
        book(booker(), learning_event)


def test_a_paid_place_needs_invoice_details_and_a_valid_email(learning_event):
    user = booker()
    with pytest.raises(EventInvalid) as refused:
        book(user, learning_event, "Standard", billing=None)
    assert "payment_method" in refused.value.problems
    from mutuals.events.booking import Attendee

    with pytest.raises(EventInvalid) as refused:
        book(user, learning_event, attendee=Attendee("", "", "not-an-address"))
    assert set(refused.value.problems) == {"name", "email"}
    assert not Booking.objects.exists()


def test_one_active_place_per_email(learning_event):
    user = booker()
    book(user, learning_event)
    with pytest.raises(AlreadyBooked):
        book(user, learning_event, "Early bird")


def test_the_public_cannot_book(learning_event):
    from mutuals.accounts.permissions import ANONYMOUS
    from mutuals.events import booking as service
    from mutuals.events.booking import Attendee

    rate = learning_event.rates.get(name="Standard")
    with pytest.raises(NotAllowed):
        service.book(ANONYMOUS, None, learning_event.pk, rate.pk,
                     Attendee("A member of the public", "", "someone@example.org"))  # fmt: skip


# Staff consultation meetings: the register decides --------------------------------------


def test_a_staff_member_on_the_register_books_a_free_place(world, meeting):
    user = staff_member(world["health"])
    booking = book(user, meeting, "Staff place")
    assert booking.status == BookingStatus.BOOKED and booking.price == 0
    assert booking.person.user == user and booking.organisation == world["health"].name
    assert booking.payment_method == "free" and not hasattr(booking, "invoice")
    assert meeting.rates.count() == 1


def test_a_role_without_a_register_entry_is_refused(world, people, meeting):
    with pytest.raises(NotStaff, match="its member register does not show you as staff"):
        book(people["provider_staff"], meeting, "Staff place")


@pytest.mark.parametrize(
    "entry",
    [
        {"employed_from": dt.date(2099, 1, 1)},  # starts after the meeting
        {"employed_until": dt.date(2021, 1, 1)},  # left before it
        {"role_group": RoleGroup.NON_STAFF},  # an outside holder
    ],
)
def test_the_register_must_show_staff_employed_on_the_day(world, meeting, entry):
    user = staff_member(world["health"], **entry)
    with pytest.raises(NotStaff):
        book(user, meeting, "Staff place")


def test_staff_of_another_provider_cannot_book(world, meeting):
    user = staff_member(world["practice"])
    with pytest.raises(NotAllowed):
        book(user, meeting, "Staff place")


def test_managers_are_staff_too(world, meeting):
    user = staff_member(world["health"], role="provider_manager", role_group=RoleGroup.MANAGER)
    assert book(user, meeting, "Staff place").status == BookingStatus.BOOKED


def test_bookings_are_in_the_audit_trail_without_personal_details(world, meeting):
    user = staff_member(world["health"])
    booking = book(user, meeting, "Staff place")
    event = AuditEvent.objects.get(action="booking.create")
    assert event.organisation == world["health"] and event.object_id == str(booking.pk)
    assert booking.email not in str(event.changes) and booking.name not in str(event.changes)
    assert AuditEvent.objects.filter(action="event.publish").exists()
