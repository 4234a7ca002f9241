"""The demo's events: an early-bird rate just passed and one still open, a consultation
meeting before the demo ballot that shows in the staff-control assessment, and one the
demo staff member can book."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.ballot_world import demo_staff
from mutuals.accounts.models import Role
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import access
from mutuals.events.demo import CONSULTED, EVIDENCE, POOLED, QUESTIONS, hold_demo_events
from mutuals.events.models import Event
from mutuals.governance import control
from mutuals.governance.ballots.demo import hold_demo_ballots


def demo_user(name: str, role: str, organisation=None):
    user = get_user_model().objects.create_user(username=f"{name}@demo.invalid", first_name=name)
    Role.objects.create(user=user, role=role, organisation=organisation)
    return user


def test_the_demo_events(world):
    provider = world["health"]
    staff = demo_staff(provider, others=30)
    demo_user("provider", "provider_manager", provider)
    demo_user("commissioner", "commissioner", world["pct"])
    demo_user("auditor", "auditor")
    hold_demo_ballots(2011)

    assert len(hold_demo_events(2011)) == 4
    assert hold_demo_events(2011) == []  # kept, not made twice
    now = timezone.now()
    evidence = Event.objects.get(title=EVIDENCE)
    early, standard = evidence.rates.order_by("position")
    assert not early.open_at(now) and early.book_by > now - dt.timedelta(days=2)
    assert standard.open_at(now)
    assert Event.objects.get(title=POOLED).rates.get(name="Early bird").open_at(now)

    held = Event.objects.get(title=CONSULTED)
    assert held.ballot.question.startswith("Should the service leave")
    assert held.ends_at < held.ballot.opens_at
    result = control.assess(provider, timezone.localdate())
    check = result.check("no_consultation_before_vote")
    assert check.status == "clear" and check.value == held.bookings.filter(attended=True).count()

    bookable = access.events(viewer_for_user(staff.user), "book")
    assert set(bookable.values_list("title", flat=True)) >= {QUESTIONS, EVIDENCE, POOLED}
