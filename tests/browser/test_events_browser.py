"""Booking events in Chromium: a place at the early-bird rate, then a place on a full
event's waiting list, accepted when it is offered. Every page on the way has no axe
violation at 1280 and at 320 CSS pixels, and reflows at 320."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .checks import assert_accessible, assert_reflows, axe_violations, describe
from .conftest import person, sign_in_directly

pytestmark = pytest.mark.browser
WIDE = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """The live server's tasks (email, invoices) run inline, as in the rest of the suite."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def checked(page, name: str) -> None:
    """axe at 1280 px, reflow at 320 px and axe again there (each width saved as a
    screenshot), then back to 1280."""
    page.set_viewport_size(WIDE)
    assert_accessible(page, f"events-{name}")
    assert_reflows(page, f"events-{name}")
    narrow = axe_violations(page)
    assert not narrow, f"axe at 320 px on {name} ({page.url}):\n" + describe(narrow)
    page.set_viewport_size(WIDE)


def continue_(page) -> None:
    page.get_by_role("button", name="Continue").click()


def events(world):
    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.events import organising
    from mutuals.events.booking import Attendee, book
    from mutuals.events.models import EventKind

    auditor = person("organiser@example.org", "auditor")
    viewer = viewer_for_user(auditor)

    def published(title: str, capacity: int, rates):
        soon = timezone.now() + dt.timedelta(days=30)
        draft = organising.EventDraft(
            kind=EventKind.LEARNING, title=title, capacity=capacity, rates=rates,
            starts_at=soon, ends_at=soon + dt.timedelta(hours=6),
            booking_deadline=soon - dt.timedelta(days=2), venue="Brackenford Civic Centre",
            online_url="https://meet.example.org/day", accessibility="Step-free access.",
        )  # fmt: skip
        return organising.publish_event(
            viewer, auditor, organising.create_event(viewer, auditor, draft)
        )

    early_by = timezone.now() + dt.timedelta(days=7)
    learning = published(
        "Integrating health and social care",
        20,
        [organising.RateDraft("Early bird", Decimal(45), book_by=early_by),
         organising.RateDraft("Standard", Decimal(75))],
    )  # fmt: skip
    full = published("Pooled budgets clinic", 1, [organising.RateDraft("Free", Decimal(0))])
    holder = person("holder@example.org", "commissioner", world["pct"])
    taken = book(viewer_for_user(holder), holder, full.pk, full.rates.get().pk,
                 Attendee("Hold Er", "Brackenford PCT", "holder@example.org"))  # fmt: skip
    return learning, full, holder, taken


def test_book_early_bird_then_join_a_waiting_list_and_accept_the_offer(page, site, world):
    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.events.booking import cancel_booking
    from mutuals.events.models import Booking

    learning, full, holder, taken = events(world)
    booker = person("booker@example.org", "commissioner", world["pct"])
    sign_in_directly(page, site, booker)

    # An early-bird place, one question a page.
    page.goto(learning.get_absolute_url())
    checked(page, "event")
    page.get_by_role("button", name="Book a place").click()
    expect(page.locator("h1")).to_have_text("Choose your ticket")
    checked(page, "book-rate")
    page.get_by_label(re.compile(r"^Early bird: £45")).check()
    continue_(page)
    expect(page.locator("h1")).to_have_text("Who is attending?")
    page.get_by_label("Full name").fill("Ada Quill")
    page.get_by_label("Organisation", exact=True).fill("Brackenford Primary Care Trust")
    page.get_by_label("Email address").fill("ada@example.org")
    checked(page, "book-attendee")
    continue_(page)
    page.get_by_label("Do you have any access needs?").fill("A hearing loop, please.")
    checked(page, "book-access")
    continue_(page)
    page.get_by_label("Send us an invoice quoting our purchase order").check()
    checked(page, "book-payment")
    continue_(page)
    page.get_by_label("Organisation to invoice").fill("Brackenford Primary Care Trust")
    page.get_by_label("Invoice address").fill("1 Trust Way\nBrackenford BR1 1AA")
    page.get_by_label("Email address for the invoice").fill("finance@example.org")
    page.get_by_label("Purchase order number").fill("PO-2026-7")
    checked(page, "book-billing")
    continue_(page)
    expect(page.locator("h1")).to_have_text("Check your answers before booking")
    checked(page, "book-check")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Booking confirmed")
    checked(page, "booking-confirmed")
    booking = Booking.objects.get(email="ada@example.org")
    assert (booking.rate_name, booking.price, booking.status) == ("Early bird", 45, "booked")
    expect(page.locator(".govuk-panel__body")).to_contain_text(booking.reference)

    # A full event: the same journey ends on its waiting list.
    page.goto(full.get_absolute_url())
    page.get_by_role("button", name="Join the waiting list").click()
    page.get_by_label("Full name").fill("Ada Quill")
    page.get_by_label("Organisation", exact=True).fill("Brackenford Primary Care Trust")
    page.get_by_label("Email address").fill("ada@example.org")
    continue_(page)
    continue_(page)  # no access needs
    checked(page, "waiting-check")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("You are on the waiting list")
    checked(page, "waiting-confirmed")
    waiting = Booking.objects.get(event=full, email="ada@example.org")
    assert waiting.status == "waiting"

    # The place is given up; the first in line is offered it, and accepts.
    cancel_booking(viewer_for_user(holder), holder, taken.reference)
    waiting.refresh_from_db()
    assert waiting.status == "offered"
    page.goto(waiting.get_absolute_url())
    expect(page.locator(".govuk-notification-banner")).to_contain_text("A place is free for you")
    checked(page, "offered")
    page.get_by_role("link", name="Accept the place").click()
    checked(page, "accept")
    page.get_by_role("button", name="Accept the place").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Booking confirmed")
    waiting.refresh_from_db()
    assert waiting.status == "booked"


def test_an_organiser_gives_an_events_moments_in_date_inputs_and_time_boxes(page, site, world):
    """Each moment of a new event is a date input with a time box beside it; a missing month
    is named in the error summary, only that box is marked, nothing is saved, and once it is
    typed the event has the moments given, read as UK time. So is a ticket's book-by."""
    from django.urls import reverse

    from mutuals.events.models import Event

    sign_in_directly(page, site, person("organiser@example.org", "auditor"))
    page.goto(reverse("event-new") + "?kind=learning")
    page.get_by_label("Title").fill("Pooled budgets in practice")
    page.get_by_label("Venue").fill("Town hall")
    page.get_by_label("Number of places").fill("20")
    for name, day, month, time in [
        ("starts", "4", "6", "10:00"),
        ("ends", "4", "", "4.30pm"),  # the month left out: a mistake
        ("deadline", "1", "6", "17:00"),
    ]:
        page.fill(f"input[name={name}_on-day]", day)
        page.fill(f"input[name={name}_on-month]", month)
        page.fill(f"input[name={name}_on-year]", "2030")
        page.fill(f"input[name={name}_time]", time)
    checked(page, "event-new-dates")
    page.get_by_role("button", name="Save as a draft").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The date the event ends must include a month")
    error = re.compile("govuk-input--error")
    expect(page.locator("input[name=ends_on-month]")).to_have_class(error)
    for part in ("day", "year"):
        expect(page.locator(f"input[name=ends_on-{part}]")).not_to_have_class(error)
    checked(page, "event-new-dates-error")
    assert not Event.objects.exists()

    page.fill("input[name=ends_on-month]", "6")
    page.get_by_role("button", name="Save as a draft").click()
    expect(page.locator("h1")).to_have_text("Tickets and prices")
    event = Event.objects.get()
    assert [m.isoformat() for m in (event.starts_at, event.ends_at, event.booking_deadline)] == [
        "2030-06-04T09:00:00+00:00",  # 10:00 British Summer Time
        "2030-06-04T15:30:00+00:00",
        "2030-06-01T16:00:00+00:00",
    ]

    page.get_by_label("Name of the rate").fill("Early bird")
    page.get_by_label("Price in pounds").fill("40")
    page.fill("input[name=book_by_on-day]", "1")
    page.fill("input[name=book_by_on-month]", "5")
    page.fill("input[name=book_by_on-year]", "2030")
    page.get_by_label("Book-by time (optional)").fill("23:59")
    checked(page, "event-rates-dates")
    page.get_by_role("button", name="Add the ticket").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("book by 1 May 2030, 23:59")
    assert event.rates.get().book_by.isoformat() == "2030-05-01T22:59:00+00:00"
