# ruff: noqa: F811  (pytest fixtures imported from event_world are redefined as arguments)
"""Fifty people booking ten places at once, each through its own database connection as
each web worker would: exactly ten are booked, forty wait in order, none is lost. And
bookings held up at a rate's deadline: the database's clock at each one's turn decides."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from events.event_world import (
    EARLY,
    attendee,
    billing,
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("turn", ["before", "after"])
def test_bookings_waiting_at_the_deadline_are_decided_when_their_turn_comes(
    file_database, world, people, turn
):
    """Five people ask for the early-bird rate before its deadline while another
    transaction holds the event. Each booking is decided by the database's clock when its
    turn comes: all at the early-bird price if that is before the deadline, all refused
    if it is after, on SQLite and PostgreSQL alike, whatever the moment they asked."""
    from django.db import transaction
    from django.db.models.functions import Now

    from mutuals.events.errors import RateClosed
    from mutuals.events.models import Rate
    from mutuals.events.waiting import lock_event

    event = publish(people["auditor"], learning_draft(capacity=PLACES))
    early = event.rates.get(name="Early bird")
    users = [booker() for _ in range(5)]
    held, asked, all_asked = threading.Event(), [], threading.Event()
    outcomes: list = [None] * len(users)

    def hold():
        try:
            with transaction.atomic():
                lock_event(event.pk)
                held.set()
                all_asked.wait(timeout=30)
                time.sleep(0.3)  # let the bookings reach the lock
                deadline = Rate.objects.annotate(now=Now()).values_list("now", flat=True)[0]
                deadline += dt.timedelta(seconds=1 if turn == "after" else 60)
                Rate.objects.filter(pk=early.pk).update(book_by=deadline)
                if turn == "after":
                    while (
                        Rate.objects.annotate(now=Now()).values_list("now", flat=True)[0]
                        <= deadline
                    ):
                        time.sleep(0.1)
        finally:
            connection.close()

    def attempt(n, user):
        try:
            asked.append(n)
            if len(asked) == len(users):
                all_asked.set()
            outcomes[n] = service.book(
                viewer_for_user(user), user, event.pk, early.pk, attendee(user), billing()
            )
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[n] = error
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=30)
    threads = [threading.Thread(target=attempt, args=(n, u)) for n, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in [*threads, holder]:
        thread.join()

    book_by = Rate.objects.get(pk=early.pk).book_by
    if turn == "before":
        assert all(isinstance(o, Booking) and o.price == EARLY for o in outcomes), outcomes
        assert all(o.booked_at < book_by for o in outcomes)
    else:
        assert all(isinstance(o, RateClosed) for o in outcomes), outcomes
        assert not Booking.objects.filter(event=event).exists()
