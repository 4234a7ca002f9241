# ruff: noqa: F811  (pytest fixtures imported from event_world are redefined as arguments)
"""Fifty people booking ten places at once, each through its own database connection as
each web worker would: exactly ten are booked, forty wait in order, none is lost."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from events.event_world import (
    attendee,
    booker,
    learning_draft,
    publish,
)
from governance.test_ballots_concurrency import file_database  # noqa: F401
from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import booking as service
from mutuals.events.models import Booking, BookingStatus, EventMessage
from mutuals.events.organising import RateDraft

PEOPLE, PLACES = 50, 10


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_for_ten_places(file_database, world, people):
    event = publish(
        people["auditor"],
        learning_draft(capacity=PLACES, rates=[RateDraft("Free", 0)]),
    )
    rate = event.rates.get()
    users = [booker() for _ in range(PEOPLE)]
    start = threading.Barrier(PEOPLE)
    outcomes: list = [None] * PEOPLE

    def attempt(n, user):
        try:
            start.wait()
            outcomes[n] = service.book(
                viewer_for_user(user), user, event.pk, rate.pk, attendee(user)
            )
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n, u)) for n, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(o, Booking) for o in outcomes), [
        o for o in outcomes if not isinstance(o, Booking)
    ]
    kinds = Counter(o.status for o in outcomes)
    assert kinds == {BookingStatus.BOOKED: PLACES, BookingStatus.WAITING: PEOPLE - PLACES}
    stored = Counter(Booking.objects.filter(event=event).values_list("status", flat=True))
    assert stored == kinds  # none lost, none doubled
    assert {b.user_id for b in Booking.objects.filter(event=event)} == {u.pk for u in users}
    # Whoever was booked asked before whoever waits (the database's clock, in the lock).
    booked = Booking.objects.filter(event=event, status=BookingStatus.BOOKED)
    waiting = Booking.objects.filter(event=event, status=BookingStatus.WAITING)
    assert max(b.booked_at for b in booked) <= min(w.booked_at for w in waiting)
    # Everyone was told which.
    told = Counter(EventMessage.objects.values_list("kind", flat=True))
    assert told == {"confirmation": PLACES, "waiting": PEOPLE - PLACES}
    assert set(EventMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
