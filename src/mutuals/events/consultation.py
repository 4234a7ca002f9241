"""Staff consultation meetings as evidence: were staff consulted before they were balloted?

A meeting counts once it was published and not cancelled, and had ended before the vote:
before voting opened, for a ballot held in Mutuals; before the day of the vote, for one
recorded from the provider's papers. Attendance is what the organisers marked on the day.
Only counts are read, never who came, and the counts outlive the attendees' details
(:mod:`mutuals.events.retention`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from mutuals.events.models import BookingStatus, Event, EventKind, EventStatus

ATTENDED = Count(
    "bookings", filter=Q(bookings__status=BookingStatus.BOOKED, bookings__attended=True)
)
BOOKED = Count("bookings", filter=Q(bookings__status=BookingStatus.BOOKED))


def held_meetings():
    return Event.objects.filter(kind=EventKind.CONSULTATION, status=EventStatus.PUBLISHED)


def meetings_before(cutoffs: dict[int, datetime]) -> dict[int, tuple[int, int]]:
    """Per provider id, (meetings that ended by its cutoff, staff attendances at them), in
    one query whatever the number of providers."""
    found = dict.fromkeys(cutoffs, (0, 0))
    if not cutoffs:
        return found
    rows = (
        held_meetings()
        .filter(provider_id__in=list(cutoffs), ends_at__lte=max(cutoffs.values()))
        .annotate(attended=ATTENDED)
        .values_list("provider_id", "ends_at", "attended")
    )
    for provider_id, ends_at, attended in rows:
        if ends_at <= cutoffs[provider_id]:
            meetings, attendances = found[provider_id]
            found[provider_id] = (meetings + 1, attendances + attended)
    return found


@dataclass(frozen=True)
class HeldMeeting:
    event: Event
    booked: int
    attended: int
    before_vote: bool | None  # None: no spin-out vote is recorded


def provider_meetings(provider, vote_cutoff: datetime | None) -> list[HeldMeeting]:
    """The provider's consultation meetings held so far, with how many of its staff booked
    and attended each, and whether it came before the spin-out vote."""
    meetings = (
        held_meetings()
        .filter(provider=provider, starts_at__lte=timezone.now())
        .select_related("ballot")
        .annotate(booked_count=BOOKED, attended_count=ATTENDED)
        .order_by("starts_at", "pk")
    )
    return [
        HeldMeeting(
            event=meeting,
            booked=meeting.booked_count,
            attended=meeting.attended_count,
            before_vote=None if vote_cutoff is None else meeting.ends_at <= vote_cutoff,
        )
        for meeting in meetings
    ]
