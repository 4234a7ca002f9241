"""Events test world, on the web tests' small world: a learning event with an early-bird
rate, a staff consultation meeting at Brackenford Community Health, and helpers to book.
Test modules import the fixtures they use from here."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.conftest import _fast_hashing, make_user, people, sign_in  # noqa: F401
from mutuals.accounts.models import Role
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import booking as booking_service
from mutuals.events import organising
from mutuals.events.booking import Attendee, Billing
from mutuals.events.models import EventKind
from mutuals.governance.models import Person, RoleGroup
from web.conftest import _fresh_cache, world  # noqa: F401

_numbers = itertools.count(1)
EARLY, STANDARD = Decimal("45.00"), Decimal("75.00")


def soon(**delta) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


def learning_draft(**changes) -> organising.EventDraft:
    fields = {
        "kind": EventKind.LEARNING,
        "title": "Integrating health and social care: what the evidence says",
        "description": "A day on pooled budgets and staff-led providers.",
        "starts_at": soon(days=30),
        "ends_at": soon(days=30, hours=6),
        "capacity": 10,
        "booking_deadline": soon(days=29),
        "venue": "Brackenford Civic Centre, 1 Market Street, Brackenford",
        "online_url": "https://meet.example.org/integration-day",
        "accessibility": "Step-free access; a hearing loop in the main hall.",
        "rates": [
            organising.RateDraft("Early bird", EARLY, book_by=soon(days=7)),
            organising.RateDraft("Standard", STANDARD),
        ],
    }
    return organising.EventDraft(**(fields | changes))


def publish(user, draft: organising.EventDraft):
    viewer = viewer_for_user(user)
    event = organising.create_event(viewer, user, draft)
    return organising.publish_event(viewer, user, event)


@pytest.fixture
def learning_event(people):  # noqa: F811
    return publish(people["auditor"], learning_draft())


@pytest.fixture
def meeting(world, people):  # noqa: F811
    """A consultation meeting at Brackenford Community Health, a week away."""
    draft = organising.EventDraft(
        kind=EventKind.CONSULTATION,
        title="Spinning out: your questions answered",
        starts_at=soon(days=7),
        ends_at=soon(days=7, hours=2),
        capacity=30,
        booking_deadline=soon(days=6),
        venue="Staff room, Brackenford Health Centre",
        provider=world["health"],
    )
    return publish(people["provider_manager"], draft)


def booker(role: str = "auditor", organisation=None):
    n = next(_numbers)
    return make_user(f"booker{n}@example.org", role, organisation)


def attendee(user) -> Attendee:
    return Attendee(name=f"Attendee {user.pk}", organisation="Somewhere NHS", email=user.email)


def billing(**changes) -> Billing:
    fields = {
        "method": "purchase_order",
        "organisation": "Brackenford Primary Care Trust",
        "address": "1 Trust Way\nBrackenford BR1 1AA",
        "email": "invoices@example.org",
        "purchase_order": "PO-2026-0042",
    }
    return Billing(**(fields | changes))


def book(user, event, rate_name: str = "Standard", **changes):
    rate = event.rates.get(name=rate_name)
    paid = rate.price > 0
    return booking_service.book(
        viewer_for_user(user),
        user,
        event.pk,
        rate.pk,
        changes.pop("attendee", None) or attendee(user),
        changes.pop("billing", billing() if paid else None),
    )


def staff_member(organisation, *, role="provider_staff", employed_from=dt.date(2020, 1, 1),
                 employed_until=None, role_group=RoleGroup.FRONTLINE):  # fmt: skip
    """A sign-in holding a role at the provider, linked to a register entry."""
    n = next(_numbers)
    user = get_user_model().objects.create_user(
        username=f"staff{n}@example.org", email=f"staff{n}@example.org"
    )
    Role.objects.create(user=user, role=role, organisation=organisation)
    Person.objects.create(
        organisation=organisation, reference=f"S{n:05d}", name=f"Staff {n}",
        role_group=role_group, employed_from=employed_from, employed_until=employed_until,
        user=user,
    )  # fmt: skip
    return user
