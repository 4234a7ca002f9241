"""Upcoming events in the digests of those who may book them: events published in the
period and still taking bookings, consultation meetings only to the staff on the
provider's register, never to the public (the home page: test_pages.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from events.event_world import learning_draft, publish, staff_member
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import organising
from mutuals.publishing import digests, periods, subscriptions
from mutuals.publishing.models import Frequency


def follow(user, organisation) -> None:
    wanted = subscriptions.parse("provider", str(organisation.pk), "daily", signed_in=True)
    subscriptions.follow_as_user(user, wanted)


def follow_publicly(email: str) -> None:
    wanted = subscriptions.parse("programme", "right-to-request", "daily", signed_in=False)
    subscriptions.confirm(subscriptions.pending_request(email, wanted))


def digest_to(address: str) -> tuple[str, str]:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    (html, _), *_ = message.alternatives
    return message.body, html


@pytest.fixture
def closing_early(people):
    """A learning event published today whose booking closes before the digest goes."""
    soon = timezone.now() + dt.timedelta(minutes=5)
    return publish(
        people["auditor"],
        learning_draft(title="Closing before the digest", booking_deadline=soon),
    )


def test_digests_tell_those_who_may_book_of_events_published_in_the_period(
    settings, world, people, learning_event, meeting, closing_early
):
    settings.PUBLIC_BASE_URL = "https://mutuals.test"
    staff = staff_member(world["health"])
    follow(staff, world["health"])
    follow(people["commissioner"], world["health"])
    follow(people["provider_staff"], world["health"])  # the role, but not on the register
    follow_publicly("reader@example.org")
    auditor = people["auditor"]
    organising.create_event(
        viewer_for_user(auditor), auditor, learning_draft(title="Still a draft")
    )

    # Today's period as the test runs (not as the module was read: midnight may pass).
    summary = digests.send(
        Frequency.DAILY, period=periods.containing(Frequency.DAILY, timezone.localdate())
    )

    assert summary.failed == 0
    text, html = digest_to(staff.email)
    assert "EVENTS YOU CAN BOOK" in text and "<h2>Events you can book</h2>" in html
    for event in (learning_event, meeting):
        assert event.title in text and event.title in html
        assert f"https://mutuals.test{event.get_absolute_url()}" in text
    start = timezone.localtime(meeting.starts_at)
    assert f"Staff consultation meeting, {world['health'].name}): {start:%-d %B %Y %H:%M}" in text
    assert "Closing before the digest" not in text and "Still a draft" not in text
    text, _ = digest_to(people["commissioner"].email)
    assert learning_event.title in text and meeting.title not in text  # not their staff
    text, _ = digest_to(people["provider_staff"].email)
    assert learning_event.title in text and meeting.title not in text  # the register decides
    # The public cannot book: their digest says nothing of events (and, with nothing
    # else to tell them, is not sent at all).
    assert not [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert summary.empty == 1


def test_a_period_with_no_new_event_tells_of_none(world, learning_event):
    staff = staff_member(world["health"])
    follow(staff, world["health"])
    earlier = periods.containing(Frequency.DAILY, timezone.localdate() - dt.timedelta(days=3))
    summary = digests.send(Frequency.DAILY, period=earlier)
    assert summary.sent == 0 and summary.empty == 1 and mail.outbox == []
