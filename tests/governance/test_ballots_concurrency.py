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


@pytest.mark.django_db(transaction=True)
def test_no_caller_waits_for_casts_queued_after_its_own(file_database):
    """Under steady arrivals a caller returns as soon as its own batch is written: the
    writer thread writes every batch, so no caller is kept busy with later casts."""
    from mutuals.governance.ballots.group_commit import GroupCommit

    group = GroupCommit()
    first_writing, release_first, release_second = (threading.Event() for _ in range(3))
    writers: dict[str, str] = {}
    returned: list[str] = []

    def work(name, hold=None):
        writers[name] = threading.current_thread().name
        if name == "first":
            first_writing.set()
        if hold is not None:
            assert hold.wait(10), "the test did not release the batch"
        return name

    def caller(name, hold=None):
        try:
            group.run(lambda: work(name, hold))
            returned.append(name)
        finally:
            connection.close()

    first = threading.Thread(target=caller, args=("first", release_first), name="first")
    first.start()
    assert first_writing.wait(10)
    second = threading.Thread(target=caller, args=("second", release_second), name="second")
    second.start()
    while True:  # wait until the second cast is queued behind the first batch
        with group._guard:
            if group._queue:
                break
    release_first.set()
    first.join(10)
    assert not first.is_alive(), "the first caller waited for the next batch"
    assert returned == ["first"]
    release_second.set()
    second.join(10)
    assert returned == ["first", "second"]
    assert writers == {"first": "ballot-writer", "second": "ballot-writer"}
    for _ in range(1000):  # the writer stands down once the queue is empty
        with group._guard:
            if not group._writing:
                break
        threading.Event().wait(0.01)
    assert not group._writing and not group._queue


@pytest.mark.django_db(transaction=True)
def test_closing_leaves_no_old_vote_rows_behind_on_sqlite(file_database, provider, staff):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's secure_delete and write-ahead log; PostgreSQL is vacuumed")
    import pathlib

    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    ballot = ballots.open_ballot(ballot.pk)
    for person in staff:
        ballots.cast_vote(ballot.pk, person.user, option(ballot, "Yes"))
    ballots.close_ballot(ballot.pk)
    path = pathlib.Path(connection.settings_dict["NAME"])
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the write-ahead log was not truncated"
    stored = path.read_bytes()
    for digest in Vote.objects.filter(ballot=ballot).values_list("receipt_digest", flat=True):
        # once in the table and once in its unique index: no stale copy in freed space
        assert stored.count(digest.encode()) == 2
