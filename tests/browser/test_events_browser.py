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
