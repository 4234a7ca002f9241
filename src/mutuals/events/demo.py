"""The demo's events, where the demo accounts work.

- a learning event run by the auditors whose early-bird rate closed yesterday, with its
  standard rate still open;
- a learning event hosted by the demo commissioner's trust whose early-bird rate is still
  open, with a free rate for the demo provider's own staff;
- at the demo provider, the staff consultation meeting held before its spin-out ballot,
  with how many of its synthetic staff attended (seeded), so the staff-control assessment
  shows staff were consulted; and a consultation meeting next week that
  ``staff@demo.invalid`` can book.

Run after the demo ballots. Safe to run again: an event already there is kept.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mutuals.accounts.models import Role, RoleName
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import organising
from mutuals.events.booking import new_reference
from mutuals.events.models import Booking, BookingStatus, Event, EventKind, EventStatus
from mutuals.governance.ballots.demo import SPIN_OUT_QUESTION
from mutuals.governance.models import Ballot, Person
from mutuals.governance.models.register import STAFF_GROUPS, employed_on

EVIDENCE = "Integrating health and social care: what the evidence says"
POOLED = "Pooled budgets in practice: a day for commissioners and providers"
CONSULTED = "Spinning out: the staff consultation before the ballot"
QUESTIONS = "Staff council proposal: your questions answered"
VENUE = "Brackenford Civic Centre, 1 Market Street, Brackenford BR1 1AA"
ACCESS = "Step-free access throughout; a hearing loop in the main hall; a quiet room on request."


def _user(name: str):
    return get_user_model().objects.filter(username=f"{name}@demo.invalid").first()


def _role(user, role: str):
    found = Role.objects.filter(user=user, role=role).select_related("organisation").first()
    return found.organisation if found else None


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def hold_demo_events(seed: int = 2011) -> list[str]:
    """Create the demo events if they are missing; what was done, in lines."""
    auditor, commissioner, manager = _user("auditor"), _user("commissioner"), _user("provider")
    if auditor is None:
        return []
    done = []
    if not Event.objects.filter(title=EVIDENCE).exists():
        event = _learning(auditor, EVIDENCE, days=21, early_by=-1, host=None)
        done.append(f"Learning event {event.pk}: its early-bird rate closed yesterday.")
    provider = _role(manager, RoleName.PROVIDER_MANAGER) if manager else None
    trust = _role(commissioner, RoleName.COMMISSIONER) if commissioner else None
    if trust is not None and not Event.objects.filter(title=POOLED).exists():
        event = _learning(commissioner, POOLED, days=56, early_by=21, host=trust, staff=provider)
        done.append(f"Learning event {event.pk} hosted by {trust.name}: early bird still open.")
    if provider is not None:
        done += _consultation(manager, provider, np.random.default_rng([seed, 14]))
    return done


def _learning(user, title: str, *, days: int, early_by: int, host, staff=None) -> Event:
    rates = [
        organising.RateDraft("Early bird", Decimal("45"), book_by=_at(early_by, 23)),
        organising.RateDraft("Standard", Decimal("75")),
    ]
    if staff is not None:
        rates.append(
            organising.RateDraft(f"Free for staff of {staff.name}", Decimal(0), staff_of=staff)
        )
    draft = organising.EventDraft(
        kind=EventKind.LEARNING, title=title, host=host, rates=rates,
        description="Commissioners, providers and auditors on what joint NHS and council "
        "services need to work, with the evidence from staff-led providers.",
        starts_at=_at(days, 10), ends_at=_at(days, 16), booking_deadline=_at(days - 2, 17),
        capacity=60, venue=VENUE, online_url="https://meet.example.org/mutuals-learning",
        accessibility=ACCESS,
    )  # fmt: skip
    viewer = viewer_for_user(user)
    return organising.publish_event(viewer, user, organising.create_event(viewer, user, draft))


def _consultation(manager, provider, rng) -> list[str]:
    done = []
    viewer = viewer_for_user(manager)
    ballot = Ballot.objects.filter(organisation=provider, question=SPIN_OUT_QUESTION).first()
    if ballot is not None and not Event.objects.filter(title=CONSULTED, provider=provider).exists():
        event = _held_meeting(viewer, manager, provider, ballot, rng)
        attended = event.bookings.filter(attended=True).count()
        done.append(
            f"Consultation meeting {event.pk} before the spin-out ballot: {attended} staff attended."
        )
    if not Event.objects.filter(title=QUESTIONS, provider=provider).exists():
        draft = organising.EventDraft(
            kind=EventKind.CONSULTATION, title=QUESTIONS, provider=provider, capacity=40,
            description="Managers answer questions on the staff council proposal before the ballot closes.",
            starts_at=_at(7, 12), ends_at=_at(7, 13), booking_deadline=_at(6, 17),
            venue="Staff room, main office", accessibility=ACCESS,
        )  # fmt: skip
        event = organising.publish_event(
            viewer, manager, organising.create_event(viewer, manager, draft)
        )
        done.append(f"Consultation meeting {event.pk} next week; staff@demo.invalid can book it.")
    return done


@transaction.atomic
def _held_meeting(viewer, manager, provider, ballot, rng) -> Event:
    """The meeting a week before voting opened, its staff booked and attendance marked, as
    the managers would have on the day (the synthetic staff have no sign-ins)."""
    starts = ballot.opens_at - timedelta(days=7)
    draft = organising.EventDraft(
        kind=EventKind.CONSULTATION, title=CONSULTED, provider=provider, ballot=ballot,
        description="What spinning out would mean for staff, and what the ballot asks.",
        starts_at=starts, ends_at=starts + timedelta(hours=2),
        booking_deadline=starts - timedelta(hours=3), capacity=400, venue="The main hall",
        accessibility=ACCESS,
    )  # fmt: skip
    event = organising.create_event(viewer, manager, draft)
    Event.objects.filter(pk=event.pk).update(status=EventStatus.PUBLISHED, published_at=starts)
    rate = event.rates.get()
    staff = Person.objects.filter(organisation=provider, role_group__in=STAFF_GROUPS).filter(
        employed_on(starts.date())
    )
    booked = [person for person in staff.order_by("pk") if rng.random() < 0.55]
    Booking.objects.bulk_create(
        Booking(
            event=event,
            rate=rate,
            reference=new_reference(),
            status=BookingStatus.BOOKED,
            rate_name=rate.name,
            price=0,
            booked_at=starts - timedelta(days=5),
            confirmed_at=starts - timedelta(days=5),
            person=person,
            name=person.name,
            organisation=provider.name,
            attended=bool(rng.random() < 0.85),
        )  # fmt: skip
        for person in booked
    )
    return event
