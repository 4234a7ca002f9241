# ruff: noqa: F811  (pytest fixtures imported from ballot_world are redefined as arguments)
"""Concurrent casting: each thread has its own database connection, as each web worker
would, and the database decides which single attempt counts."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import pytest
from django.db import connection

from governance.ballot_world import draft, option, provider, staff  # noqa: F401
from mutuals.governance import ballots
from mutuals.governance.models import BallotEvent, Elector, Vote

ATTEMPTS = 50


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """On SQLite, move the test database from memory to a file for this test, so the
    threads' connections lock as the product's do (WAL, IMMEDIATE transactions, a busy
    timeout) rather than through the shared in-memory cache, which fails at once instead
    of waiting. PostgreSQL needs nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "ballots.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


def _race(ballot, attempts):
    """Run every attempt at once in its own thread; what each raised or returned."""
    start = threading.Barrier(len(attempts))
    outcomes: list = [None] * len(attempts)

    def attempt(n, user, label):
        try:
            start.wait()
            outcomes[n] = ballots.cast_vote(ballot.pk, user, option(ballot, label))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[n] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(n, user, label))
        for n, (user, label) in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_attempts_by_one_voter_count_once(file_database, provider, staff):
    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    ballot = ballots.open_ballot(ballot.pk)
    voter = staff[0].user
    outcomes = _race(ballot, [(voter, "Yes" if n % 2 else "No") for n in range(ATTEMPTS)])
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == {"Receipt": 1, "AlreadyVoted": ATTEMPTS - 1}, kinds
    assert Vote.objects.filter(ballot=ballot).count() == 1
    assert Elector.objects.filter(ballot=ballot, has_voted=True).count() == 1
    assert BallotEvent.objects.filter(ballot=ballot, kind="cast").count() == 1
    assert ballots.verify(ballot.pk).ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_voters_all_count_and_the_log_stays_a_line(file_database, provider, staff):
    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    ballot = ballots.open_ballot(ballot.pk)
    attempts = [(person.user, "Yes") for person in staff] * 3
    outcomes = _race(ballot, attempts)
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == {"Receipt": len(staff), "AlreadyVoted": 2 * len(staff)}, kinds
    sequences = list(
        BallotEvent.objects.filter(ballot=ballot)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(sequences) + 1))
    assert ballots.verify(ballot.pk).ok


@pytest.mark.django_db(transaction=True)
def test_a_refused_cast_in_a_shared_transaction_rolls_back_alone(file_database):
    from mutuals.governance.ballots.group_commit import GroupCommit
    from mutuals.registry.models import Service

    group = GroupCommit()

    def write(name):
        Service.objects.create(name=name)
        if name == "refused":
            raise ValueError("refused")
        return name

    start = threading.Barrier(3)
    outcomes = {}

    def attempt(name):
        start.wait()
        try:
            outcomes[name] = group.run(lambda: write(name))
        except ValueError as error:
            outcomes[name] = f"error: {error}"
        finally:
            connection.close()

    names = ("first", "refused", "last")
    threads = [threading.Thread(target=attempt, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == {"first": "first", "refused": "error: refused", "last": "last"}
    assert set(Service.objects.values_list("name", flat=True)) == {"first", "last"}
