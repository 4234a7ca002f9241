# ruff: noqa: F811  (pytest fixtures imported from ballot_world are redefined as arguments)
"""The log cannot be rewritten without the key; a ballot left closed is still tallied;
spin-out and constitution options count as they say, not by their order; the rewrite at
the close scrubs the old rows; one sign-in is one entry of a register."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.ballot_world import (  # noqa: F401
    add_person,
    draft,
    open_ballot,
    option,
    provider,
    staff,
)
from mutuals.governance import ballots, control
from mutuals.governance.ballots import chain, secrecy
from mutuals.governance.models import (
    Ballot,
    BallotEvent,
    BallotStatus,
    Elector,
    Person,
    StaffVoteRecord,
)
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region


def _plain_hash(event: BallotEvent, previous: str) -> str:
    """The unkeyed entry hash anyone could compute (the scheme the key replaced)."""
    body = {
        "ballot": event.ballot_id,
        "sequence": event.sequence,
        "kind": event.kind,
        "at": event.at.isoformat() if event.at is not None else None,
        "payload": event.payload,
        "previous": previous,
    }
    return hashlib.sha256(chain.canonical(body)).hexdigest()


def test_a_log_rewritten_consistently_without_the_key_is_named_at_its_first_change(
    open_ballot, provider, staff
):
    ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"))
    # Someone with write access to the database adds an elector, makes the freeze entry
    # and the ballot agree with the new electorate, and rehashes every entry from there.
    intruder = add_person(provider)
    Elector.objects.create(ballot=open_ballot, person=intruder)
    references = Elector.objects.filter(ballot=open_ballot).values_list(
        "person__reference", flat=True
    )
    digest, size = secrecy.electorate_hash(references)
    Ballot.objects.filter(pk=open_ballot.pk).update(electorate_hash=digest, electorate_size=size)
    events = list(BallotEvent.objects.filter(ballot=open_ballot).order_by("sequence"))
    freeze = next(event for event in events if event.kind == "freeze")
    freeze.payload = freeze.payload | {"electorate_hash": digest, "electorate_size": size}
    previous = freeze.previous_hash
    for event in events[events.index(freeze) :]:
        event.previous_hash, event.entry_hash = previous, _plain_hash(event, previous)
        previous = event.entry_hash
        event.save()

    report = ballots.verify(open_ballot.pk)
    assert not report.ok
    assert report.problems[0] == (
        f"log entry #{freeze.sequence} (freeze) was altered: its hash does not match its contents"
    )
    # Only the rewritten entries are named; the ones before still hold.
    assert not any(f"#{event.sequence} " in " ".join(report.problems) for event in events[:1])


def test_entry_hashes_depend_on_the_secret_key(open_ballot, settings):
    event = BallotEvent.objects.filter(ballot=open_ballot).order_by("sequence").first()
    assert chain.chain_problems(open_ballot.pk, [event]) == []
    settings.SECRET_KEY = "another key entirely, as a forger without the real one would use"
    assert chain.chain_problems(open_ballot.pk, [event]) == [
        "log entry #1 (create) was altered: its hash does not match its contents"
    ]


def test_tick_tallies_a_ballot_left_closed_without_a_result(open_ballot, staff):
    ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "No"))
    ballots.close_ballot(open_ballot.pk)  # the tally after it never ran
    out = io.StringIO()
    call_command("ballot", "tick", stdout=out)
    open_ballot.refresh_from_db()
    assert open_ballot.status == BallotStatus.TALLIED
    assert f"Tallied ballot {open_ballot.pk}, which had closed without a result" in out.getvalue()
    assert ballots.result(open_ballot).votes == 1
    assert ballots.tick().published == []
    assert ballots.verify(open_ballot.pk).ok


def test_a_no_then_yes_spin_out_ballot_counts_yes_as_for(provider, staff):
    ballot = ballots.create_ballot(
        draft(provider, options=["No", "Yes", "Undecided"], for_option="yes", against_option="No")
    )
    assert dict(ballot.options.values_list("label", "counts_as")) == {
        "No": "against",
        "Yes": "for",
        "Undecided": "abstain",
    }
    create = BallotEvent.objects.get(ballot=ballot, kind="create")
    assert create.payload["counts_as"] == ["against", "for", "abstain"]
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    for person, label in zip(staff, ["Yes", "Yes", "Yes", "No", "Undecided"], strict=False):
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
    ballots.tally(ballots.close_ballot(ballot.pk).pk)
    record = StaffVoteRecord.objects.get(ballot=ballot)
    assert (record.votes_for, record.votes_against, record.abstentions) == (3, 1, 1)
    vote = control.staff_vote(record)
    assert (vote.votes_for, vote.votes_against, vote.secret_ballot) == (3, 1, True)
    assert record.share_for == pytest.approx(0.75)


def test_spin_out_options_must_say_which_is_for_and_against(provider):
    def problems(**changes) -> dict[str, str]:
        with pytest.raises(ballots.BallotInvalid) as refused:
            ballots.create_ballot(draft(provider, **changes))
        return refused.value.problems

    missing = problems(for_option="", against_option="")
    assert missing["for_option"].startswith("Enter the option that counts as in favour")
    assert missing["against_option"].startswith("Enter the option that counts as against")
    unknown = problems(for_option="Aye")
    assert unknown == {
        "for_option": "The option that counts as in favour must be one of the options "
        "exactly; 'Aye' is not one of Yes, No, Abstain"
    }
    assert problems(for_option="No", against_option="no") == {
        "against_option": "The option against must differ from the option in favour"
    }
    assert problems(subject="other", for_option="Yes", against_option="") == {
        "for_option": "Only spin-out and constitution ballots count options as for or "
        "against: leave this blank"
    }


def test_the_command_needs_the_for_and_against_options_of_a_spin_out(provider):
    now = timezone.localtime()
    common = {
        "organisation": "NLK01",
        "question": "Leave the trust?",
        "option": ["No", "Yes"],
        "electorate_date": "2024-03-01",
        "subject": "spin_out",
        "opens": f"{now:%Y-%m-%dT%H:%M}",
        "closes": f"{now + timezone.timedelta(days=1):%Y-%m-%dT%H:%M}",
    }
    with pytest.raises(CommandError) as refused:
        call_command("ballot", "create", **common)
    assert "--for-option: Enter the option that counts as in favour" in str(refused.value)
    assert "--against-option: Enter the option that counts as against" in str(refused.value)
    call_command(
        "ballot", "create", **common, for_option="Yes", against_option="No", stdout=io.StringIO()
    )
    assert dict(Ballot.objects.get().options.values_list("label", "counts_as")) == {
        "No": "against",
        "Yes": "for",
    }


def test_the_rewrite_at_the_close_overwrites_the_old_rows(open_ballot, staff):
    ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"))
    with CaptureQueriesContext(connection) as queries:
        ballots.close_ballot(open_ballot.pk)
    statements = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "sqlite":
        on = statements.index("PRAGMA secure_delete = ON")
        deleted = next(n for n, sql in enumerate(statements) if sql.startswith("DELETE"))
        restored = max(
            n for n, sql in enumerate(statements) if re.fullmatch(r"PRAGMA secure_delete = \d", sql)
        )
        assert on < deleted < restored
    else:
        assert not any("secure_delete" in sql for sql in statements)


def test_the_close_scrubs_the_vote_table_once_it_commits(
    open_ballot, staff, django_capture_on_commit_callbacks
):
    ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"))
    with django_capture_on_commit_callbacks() as callbacks:
        ballots.close_ballot(open_ballot.pk)
    assert callbacks == [ballots.lifecycle.scrub_old_votes]
    with CaptureQueriesContext(connection) as queries:
        ballots.lifecycle.scrub_old_votes()  # inside a transaction (the test's): skipped
    assert queries.captured_queries == []


def test_one_sign_in_is_one_entry_of_a_register(provider, staff):
    other = Organisation.objects.create(
        name="Heronsgate Care Mutual",
        kind=OrganisationKind.PROVIDER,
        legal_form=LegalForm.CIC_GUARANTEE,
        region=Region.NORTH_WEST,
    )
    user = staff[0].user
    Person.objects.create(
        organisation=other, reference="H1", name="Same person", role_group="frontline", user=user
    )
    add_person(provider, with_user=False)
    add_person(provider, with_user=False)  # many entries without a sign-in are fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            organisation=provider, reference="DUP", name="Twin", role_group="frontline", user=user
        )
    assert Person.objects.filter(user=user).count() == 2


def test_verify_names_an_option_whose_counting_was_changed(open_ballot):
    from mutuals.governance.models import BallotOption

    assert ballots.verify(open_ballot.pk).ok
    BallotOption.objects.filter(ballot=open_ballot, label="Yes").update(counts_as="against")
    BallotOption.objects.filter(ballot=open_ballot, label="No").update(counts_as="for")
    assert ballots.verify(open_ballot.pk).problems == [
        "how the options count (for, against, abstention) differs from log entry #1 (create)"
    ]
