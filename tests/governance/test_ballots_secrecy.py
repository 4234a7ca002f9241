# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as arguments)
"""After a ballot run through the web pages, read every table in the database and show that
nothing in it links a voter to a choice."""

from __future__ import annotations

from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from governance.test_ballots_web import _client_for, _create, _vote, people  # noqa: F401
from mutuals.accounts.models import AuditEvent
from mutuals.governance.models import Ballot, BallotEvent, Elector, Person, Vote
from web.conftest import _fresh_cache, world  # noqa: F401

CHOICES = ["Yes", "No", "No", "Yes"]


def _run_ballot(world, people) -> tuple[Ballot, dict]:
    manager = _client_for(people["manager"])
    ballot = _create(manager, world["health"])
    for step in ("freeze", "open"):
        manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": step})
    voters = {}
    for person, label in zip(people["voters"], CHOICES, strict=True):
        client = _client_for(person.user)
        key = client.session.session_key
        before = Session.objects.filter(session_key=key).values().get()
        last_login = type(person.user).objects.get(pk=person.user.pk).last_login
        code = _vote(client, ballot, label)
        voters[person.pk] = {
            "person": person,
            "code": code,
            "session_before": before,
            "session_after": Session.objects.filter(session_key=key).values().get(),
            "last_login": (last_login, type(person.user).objects.get(pk=person.user.pk).last_login),
        }
    manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "close"})
    return ballot, voters


def _every_table() -> dict[str, list[tuple]]:
    """Every row of every table the database lists (sqlite_master or
    information_schema), read raw."""
    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump[table] = cursor.fetchall()
    return dump


def test_no_table_holds_both_a_voter_and_a_vote_or_choice(world, people):
    _run_ballot(world, people)
    voter_tables = {Person._meta.db_table, apps.get_model("auth", "User")._meta.db_table}
    choice_tables = {
        Vote._meta.db_table,
        apps.get_model("governance", "BallotOption")._meta.db_table,
    }
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            targets = {
                target
                for _, target in connection.introspection.get_relations(cursor, table).values()
            }
            assert not (targets & voter_tables and targets & choice_tables), table
    vote_columns = {field.column for field in Vote._meta.concrete_fields}
    assert vote_columns == {"id", "ballot_id", "option_id", "receipt_digest", "seal"}
    assert {field.column for field in Elector._meta.concrete_fields} == {
        "id", "ballot_id", "person_id", "has_voted",
    }  # fmt: skip


def test_no_row_anywhere_pairs_a_voter_with_a_vote(world, people):
    ballot, voters = _run_ballot(world, people)
    votes = list(Vote.objects.filter(ballot=ballot).values("id", "receipt_digest", "seal"))
    vote_marks = {str(v["id"]) for v in votes} | {v["id"].hex for v in votes}
    vote_marks |= {v["receipt_digest"] for v in votes} | {v["seal"] for v in votes}
    codes = {v["code"] for v in voters.values()} | {
        v["code"].replace("-", "") for v in voters.values()
    }
    voter_marks = set()
    for v in voters.values():
        person = v["person"]
        voter_marks |= {person.reference, person.name, person.user.username}
    for table, rows in _every_table().items():
        for row in rows:
            text = " ".join(str(cell) for cell in row)
            assert not any(code in text for code in codes), f"a receipt code is stored in {table}"
            if table == Vote._meta.db_table:
                assert not any(mark in text for mark in voter_marks)
                continue
            assert not any(mark in text for mark in vote_marks), f"{table} names a vote: {row}"


def test_cast_entries_and_the_voters_own_rows_say_nothing_of_when_or_how(world, people):
    ballot, voters = _run_ballot(world, people)
    casts = BallotEvent.objects.filter(ballot=ballot, kind="cast")
    assert casts.count() == len(CHOICES)
    assert set(casts.values_list("at", flat=True)) == {None}
    assert all(payload == {} for payload in casts.values_list("payload", flat=True))
    for v in voters.values():
        assert v["session_before"] == v["session_after"], "voting must not touch the session"
        assert v["last_login"][0] == v["last_login"][1]
    voter_users = [v["person"].user for v in voters.values()]
    assert not AuditEvent.objects.filter(user__in=voter_users).exclude(action="sign-in").exists()


def test_stored_order_of_votes_follows_receipts_not_casting(world, people):
    ballot, _ = _run_ballot(world, people)
    order = "rowid" if connection.vendor == "sqlite" else "ctid"
    table = Vote._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT receipt_digest FROM {table} WHERE ballot_id = %s ORDER BY {order}", [ballot.pk]
        )
        stored = [row[0] for row in cursor.fetchall()]
        assert stored == sorted(stored)
        if connection.vendor == "postgresql":
            # Every vote was rewritten by the closing transaction, so the transaction ids
            # of the rows no longer match those of the has-voted marks.
            cursor.execute(
                f"SELECT DISTINCT xmin::text FROM {table} WHERE ballot_id = %s", [ballot.pk]
            )
            vote_xids = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                f"SELECT DISTINCT xmin::text FROM {Elector._meta.db_table} WHERE ballot_id = %s AND has_voted",
                [ballot.pk],
            )
            assert len(vote_xids) == 1 and not vote_xids & {row[0] for row in cursor.fetchall()}
