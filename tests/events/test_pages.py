"""The event pages: the booking journey one question a page, the organisers' pages, and the
sections on the home page and a provider's page; every page keeps the conventions."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from events.event_world import (
    EARLY,
    STANDARD,
    book,
    booker,
    staff_member,
)
from mutuals.events.models import Booking, BookingStatus, Event
from web.date_boxes import moment_boxes
from web.test_page_conventions import check_conventions


def page(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.status_code)
    html = response.content.decode()
    check_conventions(html)
    return html


def at(day: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` (a local moment) at ``hour``:``minute``."""
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def post(client, url, data, status=302):
    response = client.post(url, data)
    assert response.status_code == status, (url, response.status_code, response.content[:3000])
    if status != 302:
        check_conventions(response.content.decode())
    return response


def test_the_early_bird_journey_one_question_a_page(client, world, learning_event):
    user = booker("commissioner", world["pct"])  # a booker, not an organiser
    client.force_login(user)
    detail = page(client, learning_event.get_absolute_url())
    assert "Book a place" in detail and "How we use your details" in detail
    assert "meet.example.org" not in detail  # the link only for booked places
    start = client.get(reverse("event-book", args=[learning_event.pk]))
    assert start["Location"].endswith("/book/rate/")
    rate_page = page(client, start["Location"])
    assert "Early bird: £45, book by" in rate_page
    early = learning_event.rates.get(name="Early bird")
    # An unanswered question is refused with the GOV.UK error summary.
    refused = post(client, start["Location"], {}, status=400)
    assert "Select a ticket" in refused.content.decode()
    steps = [
        ("rate", {"rate": early.pk}),
        ("attendee", {"name": "Ada Quill", "organisation": "Brackenford PCT", "email": "ada@example.org"}),
        ("access", {"access_needs": "A hearing loop"}),
        ("payment", {"payment_method": "purchase_order"}),
        ("billing", {"billing_organisation": "Brackenford PCT", "billing_address": "1 Trust Way",
                     "billing_email": "finance@example.org", "purchase_order": "PO-77"}),
    ]  # fmt: skip
    for step, data in steps:
        url = reverse("event-book-step", args=[learning_event.pk, step])
        page(client, url)
        post(client, url, data)
    check = page(client, reverse("event-book-check", args=[learning_event.pk]))
    for shown in (
        "Ada Quill",
        "A hearing loop",
        "PO-77",
        "Early bird: £45",
        "How we use your details",
    ):
        assert shown in check, shown
    done = post(client, reverse("event-book-check", args=[learning_event.pk]), {})
    booking = Booking.objects.get()
    assert done["Location"] == reverse("booking-done", args=[booking.reference])
    confirmed = page(client, done["Location"])
    assert "Booking confirmed" in confirmed and booking.reference in confirmed
    assert (booking.price, booking.purchase_order, booking.status) == (EARLY, "PO-77", "booked")
    mine = page(client, booking.get_absolute_url())
    assert "meet.example.org/integration-day" in mine  # now booked, the link is shown
    calendar = client.get(reverse("booking-calendar", args=[booking.reference]))
    assert calendar["Content-Type"].startswith("text/calendar")
    page(client, reverse("bookings"))


def test_a_consultation_meeting_asks_no_ticket_or_payment(client, world, meeting):
    user = staff_member(world["health"])
    client.force_login(user)
    start = client.get(reverse("event-book", args=[meeting.pk]))
    assert start["Location"].endswith("/book/attendee/")
    attendee = page(client, start["Location"])
    assert 'name="organisation"' not in attendee  # the register says where they work
    post(client, start["Location"], {"name": "Sam Staff", "email": "sam@example.org"})
    post(client, reverse("event-book-step", args=[meeting.pk, "access"]), {"access_needs": ""})
    page(client, reverse("event-book-check", args=[meeting.pk]))
    post(client, reverse("event-book-check", args=[meeting.pk]), {})
    booking = Booking.objects.get()
    assert booking.price == 0 and booking.organisation == world["health"].name


def test_staff_not_on_the_register_are_told_why_they_cannot_book(client, people, meeting):
    client.force_login(people["provider_staff"])
    html = page(client, meeting.get_absolute_url())
    assert "Only staff of Brackenford Community Health CIC on its member register" in html
    assert client.get(reverse("event-book", args=[meeting.pk])).status_code == 404


def test_the_public_reads_learning_events_but_not_meetings_and_signs_in_to_book(
    client, learning_event, meeting
):
    html = page(client, reverse("events"))
    assert learning_event.title in html and meeting.title not in html
    assert "Sign in to book a place" in page(client, learning_event.get_absolute_url())
    assert client.get(meeting.get_absolute_url()).status_code == 404
    assert client.get(reverse("event-book", args=[learning_event.pk])).status_code == 302


def test_joining_the_waiting_list_and_accepting_an_offer(client, people, learning_event):
    Event.objects.filter(pk=learning_event.pk).update(capacity=1)
    first = book(booker(), learning_event)
    user = booker()
    client.force_login(user)
    assert "Join the waiting list" in page(client, learning_event.get_absolute_url())
    waiting = book(user, learning_event, "Early bird")
    assert waiting.status == BookingStatus.WAITING
    assert "You are on the waiting list" in page(
        client, reverse("booking-done", args=[waiting.reference])
    )
    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.events.booking import cancel_booking

    cancel_booking(viewer_for_user(first.user), first.user, first.reference)
    offered = page(client, waiting.get_absolute_url())
    assert "A place is free for you" in offered
    page(client, reverse("booking-accept", args=[waiting.reference]))
    post(client, reverse("booking-accept", args=[waiting.reference]), {})
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.BOOKED and waiting.price == EARLY


def test_a_booking_is_seen_only_by_its_booker_and_the_organisers(
    client, world, people, learning_event
):
    booking = book(booker(), learning_event)
    client.force_login(booker("commissioner", world["pct"]))
    assert client.get(booking.get_absolute_url()).status_code == 404
    client.force_login(people["auditor"])
    page(client, booking.get_absolute_url())


def test_organisers_create_price_publish_and_cancel(client, people, world):
    client.force_login(people["commissioner"])
    url = reverse("event-new") + "?kind=learning"
    form = page(client, url)
    assert "Hosted by" in form
    start = timezone.localtime() + dt.timedelta(days=40)
    data = {
        "title": "Pooled budgets in practice", "description": "", "venue": "Town hall",
        "online_url": "", "capacity": "20", "accessibility": "",
        **moment_boxes("starts_on", "starts_time", at(start, 10)),
        **moment_boxes("ends_on", "ends_time", at(start, 16)),
        **moment_boxes("deadline_on", "deadline_time", at(start - dt.timedelta(days=2), 17)),
        "host": str(world["pct"].pk),
    }  # fmt: skip
    bad = post(client, url, {**data, "capacity": "none"}, status=400)
    assert "Enter the number of places as a whole number" in bad.content.decode()
    created = post(client, url, data)
    event = Event.objects.get(title="Pooled budgets in practice")
    assert event.host == world["pct"] and event.status == "draft"
    assert created["Location"] == reverse("event-rates", args=[event.pk])
    rates = reverse("event-rates", args=[event.pk])
    page(client, rates)
    book_by = moment_boxes("book_by_on", "book_by_time", at(start - dt.timedelta(days=20), 23, 59))
    post(client, rates, {"name": "Early bird", "price": "40", **book_by, "staff_of": ""})
    post(client, rates, {"name": "Standard", "price": "60", "staff_of": ""})
    post(client, reverse("event-publish", args=[event.pk]), {})
    event.refresh_from_db()
    assert event.status == "published" and event.rates.count() == 2
    # The public sees it; nobody outside the host sees the organiser's links.
    client.logout()
    assert "Organise this event" not in page(client, event.get_absolute_url())
    client.force_login(people["commissioner"])
    page(client, reverse("event-edit", args=[event.pk]))
    page(client, reverse("event-bookings", args=[event.pk]))
    page(client, reverse("event-cancel", args=[event.pk]))
    post(client, reverse("event-cancel", args=[event.pk]), {"reason": "The venue flooded."})
    event.refresh_from_db()
    assert event.status == "cancelled"


def test_a_provider_manager_arranges_a_consultation_meeting(client, people, world):
    client.force_login(people["provider_manager"])
    page(client, reverse("events"))
    url = reverse("event-new") + "?kind=consultation"
    page(client, url)
    start = timezone.localtime() + dt.timedelta(days=10)
    post(client, url, {
        "title": "Your questions on spinning out", "description": "", "venue": "Staff room",
        "online_url": "", "capacity": "40", "accessibility": "",
        **moment_boxes("starts_on", "starts_time", at(start, 12)),
        **moment_boxes("ends_on", "ends_time", at(start, 13)),
        **moment_boxes("deadline_on", "deadline_time", at(start, 9)),
        "provider": str(world["health"].pk),
        "ballot": "",
    })  # fmt: skip
    event = Event.objects.get()
    assert event.provider == world["health"] and event.rates.get().price == 0
    # Others cannot organise it.
    client.force_login(people["commissioner"])
    assert client.get(reverse("event-new") + "?kind=consultation").status_code == 403
    assert client.get(reverse("event-edit", args=[event.pk])).status_code == 404


def test_the_home_page_lists_events_the_person_may_book(
    client, people, world, learning_event, meeting
):
    assert "Upcoming events you can book" not in page(client, reverse("home"))
    client.force_login(people["commissioner"])
    home = page(client, reverse("home"))
    assert learning_event.title in home and meeting.title not in home
    client.force_login(staff_member(world["health"]))
    home = page(client, reverse("home"))
    assert learning_event.title in home and meeting.title in home
    # A staff role the provider's register does not back cannot book the meeting.
    client.force_login(people["provider_staff"])
    home = page(client, reverse("home"))
    assert learning_event.title in home and meeting.title not in home


def test_attendance_and_numbers_on_the_bookings_page(client, people, learning_event):
    one, two = book(booker(), learning_event, "Early bird"), book(booker(), learning_event)
    client.force_login(people["auditor"])
    url = reverse("event-bookings", args=[learning_event.pk])
    html = page(client, url)
    assert "£120" in html and "Attendance is marked here from the day of the event" in html
    Event.objects.filter(pk=learning_event.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5)
    )
    page(client, url)
    post(client, reverse("event-attendance", args=[learning_event.pk]),
         {"booking": [one.reference, two.reference], "attended": [one.reference]})  # fmt: skip
    one.refresh_from_db(), two.refresh_from_db()
    assert (one.attended, two.attended) == (True, False)
    csv = client.get(reverse("event-bookings-csv", args=[learning_event.pk]))
    assert csv["Content-Type"].startswith("text/csv") and one.reference in csv.content.decode()


def test_the_admin_reads_events_and_bookings_without_changing_them(
    client, django_user_model, learning_event
):
    booking = book(booker(), learning_event)
    back_office = django_user_model.objects.create(username="bo", is_staff=True, is_superuser=True)
    client.force_login(back_office)
    for name, obj in (("event", learning_event), ("booking", booking)):
        assert client.get(reverse(f"admin:events_{name}_changelist")).status_code == 200
        change = client.get(reverse(f"admin:events_{name}_change", args=[obj.pk]))
        assert change.status_code == 200 and 'name="title"' not in change.content.decode()
        assert client.get(reverse(f"admin:events_{name}_delete", args=[obj.pk])).status_code == 403


def test_a_rate_that_closes_before_confirming_is_never_swapped_without_asking(
    client, world, learning_event
):
    """The early-bird moment passes while the booker reads the check page: confirming books
    nothing, and the ticket question comes back saying why, with the closed rate gone."""
    from mutuals.events.models import Rate

    client.force_login(booker("commissioner", world["pct"]))
    client.get(reverse("event-book", args=[learning_event.pk]))
    early = learning_event.rates.get(name="Early bird")
    standard = learning_event.rates.get(name="Standard")
    steps = [
        ("rate", {"rate": early.pk}),
        ("attendee", {"name": "Ada Quill", "organisation": "PCT", "email": "ada@example.org"}),
        ("access", {"access_needs": ""}),
        ("payment", {"payment_method": "invoice"}),
        ("billing", {"billing_organisation": "PCT", "billing_address": "1 Trust Way",
                     "billing_email": "finance@example.org"}),
    ]  # fmt: skip
    for step, data in steps:
        post(client, reverse("event-book-step", args=[learning_event.pk, step]), data)
    assert "Early bird: £45" in page(client, reverse("event-book-check", args=[learning_event.pk]))
    Rate.objects.filter(pk=early.pk).update(book_by=timezone.now() - dt.timedelta(seconds=1))

    rate_step = reverse("event-book-step", args=[learning_event.pk, "rate"])
    refused = post(client, reverse("event-book-check", args=[learning_event.pk]), {})
    assert refused["Location"] == rate_step and not Booking.objects.exists()
    html = page(client, rate_step, status=400)
    assert "The Early bird rate closed at" in html and "govuk-error-summary" in html
    assert "Early bird: £45" not in html and "Standard: £75" in html
    post(client, rate_step + "?from=check", {"rate": standard.pk})
    check = page(client, reverse("event-book-check", args=[learning_event.pk]))
    assert "Standard: £75" in check and "Early bird" not in check
    post(client, reverse("event-book-check", args=[learning_event.pk]), {})
    assert Booking.objects.get().price == STANDARD
