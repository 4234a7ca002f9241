# ruff: noqa: F811  (pytest fixtures imported from ballot_world are redefined as arguments)
"""A backup restores whole: a ballot tallied before the backup verifies after the restore,
on SQLite (online backup) and on PostgreSQL (pg_dump and pg_restore)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.ballot_world import draft, option, provider, staff  # noqa: F401
from mutuals.governance import ballots
from mutuals.governance.models import Ballot, Vote

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_restored_backup_verifies_its_ballot(provider, staff, tmp_path):
    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    for person, label in zip(staff, ["Yes", "No", "Yes"], strict=False):
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
    ballots.close_ballot(ballot.pk)
    ballots.tally(ballot.pk)
    result = ballots.result(Ballot.objects.get(pk=ballot.pk))
    target = tmp_path / "mutuals.backup"
    call_command("backup", out=str(target), verbosity=0)
    assert target.stat().st_size > 0

    # after the backup, the ballot's votes are tampered with: the restore undoes it
    Vote.objects.filter(ballot=ballot).update(option=option(ballot, "No"))
    assert not ballots.verify(ballot.pk).ok
    call_command("restore", str(target), yes=True, verbosity=0)

    restored = Ballot.objects.get(pk=ballot.pk)
    report = ballots.verify(restored.pk)
    assert report.ok, report.problems
    assert ballots.result(restored).results_digest == result.results_digest


def test_restore_asks_before_replacing_and_names_a_bad_file(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x.backup"))
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "missing.backup"), yes=True)
