# ruff: noqa: F811  (pytest fixtures imported from ballot_world are redefined as arguments)
"""``verify`` recomputes the log, the seals, the counts and the tally, and names what was
altered; ``mutuals ballot`` runs a ballot end to end."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from governance.ballot_world import add_person, draft, option, provider, staff  # noqa: F401
from mutuals.governance import ballots
from mutuals.governance.models import Ballot, BallotEvent, Elector, Vote


@pytest.fixture
def tallied(provider, staff):
    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    for person, label in zip(staff, ["Yes", "No", "Yes", "Abstain"], strict=False):
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
    ballots.close_ballot(ballot.pk)
    return ballots.tally(ballot.pk)


def _problems(ballot) -> list[str]:
    report = ballots.verify(ballot.pk)
    assert not report.ok
    return report.problems


def test_an_untouched_ballot_verifies(tallied):
    report = ballots.verify(tallied.pk)
    assert report.ok and report.votes == 4 and report.entries == 9


def test_changing_a_votes_option_is_named_by_its_receipt(tallied):
    vote = Vote.objects.filter(ballot=tallied, option__label="No").get()
    Vote.objects.filter(pk=vote.pk).update(option=tallied.options.get(label="Yes"))
    problems = _problems(tallied)
    assert f"vote with receipt {vote.receipt_digest[:16]}… was altered" in problems[0]
    assert any("recount differs from the published tally" in p for p in problems)


def test_changing_a_receipt_digest_breaks_the_seal(tallied):
    vote = Vote.objects.filter(ballot=tallied).first()
    Vote.objects.filter(pk=vote.pk).update(receipt_digest="f" * 64)
    assert any(f"receipt {'f' * 16}… was altered" in p for p in _problems(tallied))


def test_removing_or_adding_a_vote_shows_in_the_counts(tallied):
    Vote.objects.filter(ballot=tallied).first().delete()
    problems = _problems(tallied)
    assert any("3 vote(s), 4 elector(s) marked as having voted and 4 cast" in p for p in problems)


@pytest.mark.parametrize("kind", ["create", "freeze", "cast", "close", "tally"])
def test_altering_any_log_entry_names_it(tallied, kind):
    entry = BallotEvent.objects.filter(ballot=tallied, kind=kind).order_by("sequence").first()
    payload = dict(entry.payload, note="edited")
    BallotEvent.objects.filter(pk=entry.pk).update(payload=payload)
    problems = _problems(tallied)
    assert f"log entry #{entry.sequence} ({kind}) was altered" in problems[0]


def test_an_entry_rehashed_after_editing_breaks_the_next_link(tallied):
    from mutuals.governance.ballots.chain import entry_hash

    entry = BallotEvent.objects.get(ballot=tallied, kind="freeze")
    payload = dict(entry.payload, electorate_size=99)
    rehashed = entry_hash(
        tallied.pk, entry.sequence, entry.kind, entry.at, payload, entry.previous_hash
    )
    BallotEvent.objects.filter(pk=entry.pk).update(payload=payload, entry_hash=rehashed)
    problems = _problems(tallied)
    assert any(f"log entry #{entry.sequence + 1} (open) does not follow" in p for p in problems)
    assert any("electorate was altered after the freeze" in p for p in problems)


def test_a_removed_entry_is_named(tallied):
    entry = BallotEvent.objects.filter(ballot=tallied, kind="cast").order_by("sequence")[1]
    entry.delete()
    problems = _problems(tallied)
    assert any(f"log entry #{entry.sequence} is missing" in p for p in problems)


def test_adding_an_elector_after_the_freeze_is_caught(tallied, provider):
    Elector.objects.create(ballot=tallied, person=add_person(provider))
    assert any("electorate was altered after the freeze" in p for p in _problems(tallied))


def test_the_command_runs_a_ballot_and_verify_fails_on_alteration(provider, staff):
    now = timezone.localtime()
    out = io.StringIO()
    call_command(
        "ballot", "create", organisation="NLK01", question="Adopt the new constitution?",
        option=["For", "Against"], electorate_date="2024-03-01", subject="constitution",
        for_option="For", against_option="Against",
        opens=(now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        closes=(now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), stdout=out,
    )  # fmt: skip
    ballot = Ballot.objects.get()
    for verb in ("freeze", "open"):
        call_command("ballot", verb, str(ballot.pk), stdout=out)
    ballots.cast_vote(ballot.pk, staff[0].user, option(ballot, "For"))
    for verb in ("close", "tally", "verify"):
        call_command("ballot", verb, str(ballot.pk), stdout=out)
    text = out.getvalue()
    assert "6 electors" in text and "For: 1" in text and "Turnout 16.7% (1 of 6)" in text
    assert "verified: 6 log entries chain correctly, 1 vote seals hold" in text
    Vote.objects.update(seal="0" * 64)
    errors = io.StringIO()
    with pytest.raises(CommandError, match="failed verification: 1 problem"):
        call_command("ballot", "verify", str(ballot.pk), stdout=out, stderr=errors)
    assert "was altered: its seal does not match" in errors.getvalue()


def test_the_command_names_bad_input(provider):
    with pytest.raises(CommandError, match="create needs --question, --electorate-date"):
        call_command("ballot", "create", organisation="NLK01", opens="2024-01-01T09:00",
                     closes="2024-01-02T09:00")  # fmt: skip
    with pytest.raises(CommandError, match="'soon' is not a date and time"):
        call_command("ballot", "create", organisation="NLK01", question="Q?", option=["A", "B"],
                     electorate_date="2024-01-01", opens="soon", closes="2024-01-02T09:00")  # fmt: skip
    with pytest.raises(CommandError, match="Give at least two options"):
        call_command("ballot", "create", organisation="NLK01", question="Q?", option=["A"],
                     electorate_date="2024-01-01", opens="2024-01-01T09:00",
                     closes="2024-01-02T09:00")  # fmt: skip
    with pytest.raises(CommandError, match="There is no ballot 404"):
        call_command("ballot", "verify", "404")
    with pytest.raises(CommandError, match="Name the ballot"):
        call_command("ballot", "open")


def test_tick_command_reports_what_it_did(provider, staff):
    out = io.StringIO()
    call_command("ballot", "tick", stdout=out)
    assert "No ballot is due" in out.getvalue()
