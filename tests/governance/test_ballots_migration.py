"""Migrating a database made before the log's head was sealed: every existing ballot is
sealed as its log stands, so cutting entries off its end afterwards is caught."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mutuals.governance import ballots
from mutuals.governance.ballots import chain
from mutuals.governance.models import BallotEvent, SealedHead

BEFORE = [("governance", "0003_option_counts_as_one_entry_per_user")]
AFTER = [("governance", "0004_ballot_sealed_head")]


def _old_ballot(apps) -> int:
    """A draft ballot with its create entry, written as the code before the seal did."""
    Organisation = apps.get_model("registry", "Organisation")
    OldBallot = apps.get_model("governance", "Ballot")
    OldEvent = apps.get_model("governance", "BallotEvent")
    provider = Organisation.objects.create(
        name="A provider", kind="provider", legal_form="cic_guarantee", region="london"
    )
    moment = dt.datetime(2011, 1, 3, 9, tzinfo=dt.UTC)
    ballot = OldBallot.objects.create(
        organisation=provider, question="Spin out?", electorate_date=dt.date(2011, 1, 3),
        opens_at=moment, closes_at=moment + dt.timedelta(days=7),
    )  # fmt: skip
    previous = chain.GENESIS
    for sequence, kind in enumerate(["create"], start=1):
        entry = chain.entry_hash(ballot.pk, sequence, kind, moment, {}, previous)
        OldEvent.objects.create(
            ballot=ballot, sequence=sequence, kind=kind, at=moment, payload={},
            previous_hash=previous, entry_hash=entry,
        )  # fmt: skip
        previous = entry
    return ballot.pk


@pytest.mark.django_db(transaction=True)
def test_existing_ballots_are_sealed_by_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    ballot_id = _old_ballot(executor.loader.project_state(BEFORE[0]).apps)

    MigrationExecutor(connection).migrate(AFTER)
    sealed = SealedHead.objects.get(ballot_id=ballot_id)
    create = BallotEvent.objects.get(ballot_id=ballot_id)
    assert (sealed.entries, sealed.head_hash) == (1, create.entry_hash)
    assert ballots.verify(ballot_id).ok
    create.delete()
    assert ballots.verify(ballot_id).problems[0] == (
        "the log is empty but its sealed head says 1 entry: entries were removed from its end"
    )
