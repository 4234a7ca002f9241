"""The permission matrix for events, role by role: who sees drafts, organises, books, sees
the attendee list and marks attendance, for learning events and consultation meetings
inside and outside each role's reach. Written out by hand, beside the functions every
page, API operation and command reads through (:mod:`mutuals.events.access`)."""

from __future__ import annotations

import pytest

from events.event_world import (
    learning_draft,
    publish,
    soon,
)
from mutuals.accounts.permissions import ROLES, viewer_for_user
from mutuals.events import access, organising
from mutuals.events.models import Booking, EventKind

C, PM, PS, A, PUBLIC = "commissioner", "provider_manager", "provider_staff", "auditor", "public"


def meeting_draft(provider):
    return organising.EventDraft(
        kind=EventKind.CONSULTATION, title=f"Consultation at {provider.name}",
        starts_at=soon(days=7), ends_at=soon(days=7, hours=1), booking_deadline=soon(days=6),
        capacity=20, venue="Staff room", provider=provider,
    )  # fmt: skip


@pytest.fixture
def events(world, people):
    """Each kind of event, published or draft, inside and outside the roles' reach."""
    from accounts.conftest import make_user

    fenmoor = make_user("fenmoor-manager@example.org", PM, world["practice"])
    auditor, commissioner, manager = people[A], people[C], people[PM]
    return {
        "learning": publish(auditor, learning_draft()),
        "learning_draft": organising.create_event(
            viewer_for_user(auditor), auditor, learning_draft()
        ),
        "hosted_draft": organising.create_event(
            viewer_for_user(commissioner), commissioner, learning_draft(host=world["pct"])
        ),
        "meeting": publish(manager, meeting_draft(world["health"])),
        "meeting_draft": organising.create_event(
            viewer_for_user(manager), manager, meeting_draft(world["health"])
        ),
        "other_meeting": publish(fenmoor, meeting_draft(world["practice"])),
    }


EVERYONE = set(ROLES)
# (what, the event) -> the roles that may
EXPECTED = {
    ("see", "learning"): EVERYONE,
    ("see", "learning_draft"): {A},
    ("see", "hosted_draft"): {C, A},
    ("see", "meeting"): {PM, PS, A},
    ("see", "meeting_draft"): {PM},
    ("see", "other_meeting"): {A},
    ("organise", "learning"): {A},
    ("organise", "hosted_draft"): {C, A},
    ("organise", "meeting"): {PM},
    ("organise", "other_meeting"): set(),
    ("book", "learning"): {C, PM, PS, A},
    ("book", "learning_draft"): set(),
    ("book", "meeting"): {PM, PS},  # then the register decides (test_booking.py)
    ("book", "other_meeting"): set(),
    ("see attendee list", "learning"): {A},
    ("see attendee list", "hosted_draft"): {C, A},
    ("see attendee list", "meeting"): {PM, A},
    ("see attendee list", "other_meeting"): {A},
    ("mark attendance", "learning"): {A},
    ("mark attendance", "hosted_draft"): {C, A},
    ("mark attendance", "meeting"): {PM, A},
    ("mark attendance", "other_meeting"): {A},
}
CHECKS = {
    "see": lambda viewer, event: access.events(viewer).filter(pk=event.pk).exists(),
    "organise": access.may_change,
    "book": access.may_book,
    "see attendee list": access.may_see_bookings,
    "mark attendance": access.may_mark_attendance,
}


@pytest.mark.parametrize(("what", "name"), sorted(EXPECTED))
def test_each_role_may_do_exactly_what_the_matrix_says(people, events, what, name):
    allowed = {role for role in ROLES if CHECKS[what](viewer_for_user(people[role]), events[name])}
    assert allowed == EXPECTED[(what, name)]


def test_bookings_are_seen_by_their_booker_and_the_organisers_only(world, people, events):
    from events.event_world import book, booker

    mine = book(booker(C, world["council"]), events["learning"])
    seen_by = {role for role in ROLES
               if access.bookings(viewer_for_user(people[role])).filter(pk=mine.pk).exists()}  # fmt: skip
    assert seen_by == {A}
    assert access.bookings(viewer_for_user(mine.user)).filter(pk=mine.pk).exists()
    # Being the booker lets them see it, never mark it.
    assert not access.bookings(viewer_for_user(mine.user), "change").filter(pk=mine.pk).exists()
    assert Booking.objects.count() == 1
