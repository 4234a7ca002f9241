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
from mutuals.governance.models import Ballot, BallotEvent, Elector, StaffVoteRecord, Vote


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


# Cutting entries off the end of the log: the chain alone still links, so the ballot's
# sealed head (its entry count and last hash under the key) and the published result catch it.


def _sealed_head(ballot):
    """The ballot's sealed head row, as a database writer would reach it."""
    from mutuals.governance.models import SealedHead  # imported here: new with the seal

    return SealedHead.objects.filter(ballot=ballot)


def _last_entry(ballot) -> BallotEvent:
    return BallotEvent.objects.filter(ballot=ballot).order_by("-sequence").first()


def _opened(provider) -> Ballot:
    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    return ballots.open_ballot(ballot.pk)


def _unvote(ballot, person, receipt) -> None:
    """Remove a vote as a database writer would: the vote and the voter's has-voted mark."""
    Vote.objects.filter(ballot=ballot, receipt_digest=receipt.digest).delete()
    Elector.objects.filter(ballot=ballot, person=person).update(has_voted=False)


def test_deleting_the_final_close_entry_is_detected(provider, staff):
    ballot = _opened(provider)
    for person, label in zip(staff, ["Yes", "No", "Yes"], strict=False):
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
    ballots.close_ballot(ballot.pk)
    close = _last_entry(ballot)
    assert close.kind == "close" and ballots.verify(ballot.pk).ok
    close.delete()
    assert _problems(ballot) == [
        f"the log ends at entry #{close.sequence - 1} but its sealed head says "
        f"{close.sequence} entries: entries were removed from its end",
        "the ballot is marked closed, but its log has no close entry: the log ends at entry "
        f"#{close.sequence - 1} (cast), so its status was changed in the database or entries "
        "were removed from the end of its log",
    ]


def test_deleting_the_last_cast_with_its_vote_and_mark_is_detected(provider, staff):
    ballot = _opened(provider)
    receipts = [
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
        for person, label in zip(staff, ["Yes", "No", "Yes"], strict=False)
    ]
    cast = _last_entry(ballot)
    assert cast.kind == "cast" and cast.sequence == 6
    cast.delete()
    _unvote(ballot, staff[2], receipts[2])
    assert _problems(ballot) == [
        "the log ends at entry #5 but its sealed head says 6 entries: entries were removed "
        "from its end"
    ]


def test_a_ballot_marked_closed_without_a_close_entry_is_detected(provider, staff):
    ballot = _opened(provider)
    ballots.cast_vote(ballot.pk, staff[0].user, option(ballot, "Yes"))
    Ballot.objects.filter(pk=ballot.pk).update(status="closed")
    assert _problems(ballot) == [
        "the ballot is marked closed, but its log has no close entry: the log ends at entry "
        "#4 (cast), so its status was changed in the database or entries were removed from "
        "the end of its log"
    ]


def test_a_published_ballot_whose_status_was_set_back_is_detected(tallied):
    Ballot.objects.filter(pk=tallied.pk).update(status="open")
    assert _problems(tallied) == [
        "the ballot is marked open, but its log has a close entry (#8) and a tally entry "
        "(#9): its status was changed in the database"
    ]


def test_a_rollback_to_a_copied_seal_is_caught_by_the_published_result(provider, staff):
    ballot = _opened(provider)
    for person, label in zip(staff, ["Yes", "No", "Yes"], strict=False):
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
    sealed = _sealed_head(ballot)
    copied = sealed.values("entries", "head_hash", "seal").get()  # before the last cast
    last = ballots.cast_vote(ballot.pk, staff[3].user, option(ballot, "No"))
    ballots.tally(ballots.close_ballot(ballot.pk).pk)
    held = ballots.result(Ballot.objects.get(pk=ballot.pk))  # an outsider keeps a copy
    assert (held.log_entries, held.log_head) == (9, _last_entry(ballot).entry_hash)
    assert ballots.verify(ballot.pk, published=held.published_log).ok

    # A database writer without the key rolls the ballot back to before the last cast,
    # consistently: the log's tail, the vote, its mark, the staff vote record, the status,
    # and the seal row they copied then.
    BallotEvent.objects.filter(ballot=ballot, sequence__gt=copied["entries"]).delete()
    _unvote(ballot, staff[3], last)
    StaffVoteRecord.objects.filter(ballot=ballot).delete()
    Ballot.objects.filter(pk=ballot.pk).update(status="open")
    sealed.update(**copied)

    shortened = (
        "the log ends at entry #6 but the published result says it had 9 entries, ending in "
        f"{held.log_head[:16]}…: entries were removed from its end after the result was "
        "published"
    )
    report = ballots.verify(ballot.pk, published=held.published_log)
    assert report.problems == [shortened]
    head_only = ballots.PublishedLog(head=held.log_head)
    assert ballots.verify(ballot.pk, published=head_only).problems == [
        f"no entry of the log has the published head {held.log_head[:16]}…: the log was "
        "shortened or rewritten after the result was published, or the head is another "
        "ballot's"
    ]
    errors = io.StringIO()
    with pytest.raises(CommandError, match="failed verification: 1 problem"):
        call_command(
            "ballot", "verify", str(ballot.pk), published_entries=held.log_entries,
            published_head=held.log_head, stdout=io.StringIO(), stderr=errors,
        )  # fmt: skip
    assert shortened in errors.getvalue()


def test_a_log_rewritten_after_publication_differs_from_the_published_head(tallied):
    held = ballots.result(tallied)
    entry = _last_entry(tallied)
    BallotEvent.objects.filter(pk=entry.pk).update(entry_hash="e" * 64)
    problems = ballots.verify(tallied.pk, published=held.published_log).problems
    assert (
        f"log entry #9 (tally) is not the one the published result ends in "
        f"({held.log_head[:16]}…): the log was rewritten after the result was published"
    ) in problems


def test_unaltered_ballots_verify_at_every_stage_and_against_their_result(provider, staff):
    ballot = ballots.create_ballot(draft(provider))
    assert ballots.verify(ballot.pk).ok
    ballots.freeze(ballot.pk)
    assert ballots.verify(ballot.pk).ok
    ballots.open_ballot(ballot.pk)
    ballots.cast_vote(ballot.pk, staff[0].user, option(ballot, "No"))
    assert ballots.verify(ballot.pk).ok
    ballots.close_ballot(ballot.pk)
    assert ballots.verify(ballot.pk).ok
    held = ballots.result(ballots.tally(ballot.pk))
    report = ballots.verify(ballot.pk, published=held.published_log)
    assert report.ok and report.entries == held.log_entries == 6
    out = io.StringIO()
    call_command("ballot", "verify", str(ballot.pk), published_head=held.log_head, stdout=out)
    assert "verified: 6 log entries chain correctly" in out.getvalue()
    assert f"the log still holds the published head {held.log_head[:16]}…" in out.getvalue()


def test_a_cast_after_the_tail_was_cut_leaves_the_gap_in_the_log(provider, staff):
    """Appends chain from the sealed head, not from whatever row is last, so a later cast
    does not paper over entries removed before it."""
    ballot = _opened(provider)
    first = ballots.cast_vote(ballot.pk, staff[0].user, option(ballot, "Yes"))
    _last_entry(ballot).delete()
    _unvote(ballot, staff[0], first)
    ballots.cast_vote(ballot.pk, staff[1].user, option(ballot, "No"))
    problems = _problems(ballot)
    assert "log entry #4 is missing: the log goes from #3 to #5" in problems


@pytest.mark.parametrize("alteration", ["seal rewritten", "seal deleted"])
def test_a_cast_or_step_is_refused_when_the_sealed_head_was_altered(provider, staff, alteration):
    ballot = _opened(provider)
    sealed = _sealed_head(ballot)
    if alteration == "seal deleted":
        sealed.delete()
        named = "the ballot's sealed head is missing, yet its log runs to entry #3"
    else:
        sealed.update(seal="0" * 64)
        named = "the ballot's sealed head was rewritten without the key"
    assert _problems(ballot)[0].startswith(named)
    with pytest.raises(ballots.LogAltered, match=f"mutuals ballot verify {ballot.pk}"):
        ballots.cast_vote(ballot.pk, staff[0].user, option(ballot, "Yes"))
    with pytest.raises(ballots.LogAltered, match="nothing was recorded"):
        ballots.close_ballot(ballot.pk)
    assert not Vote.objects.filter(ballot=ballot).exists()
    assert Ballot.objects.get(pk=ballot.pk).status == "open"


def test_tick_leaves_a_ballot_with_an_altered_log_and_runs_the_others(provider, staff):
    altered, other = _opened(provider), _opened(provider)
    _sealed_head(altered).update(seal="0" * 64)
    later = timezone.now() + dt.timedelta(days=8)
    report = ballots.tick(now=later)
    assert [ballot.pk for ballot in report.closed] == [other.pk]
    assert [(ballot.pk, why) for ballot, why in report.waiting] == [
        (
            altered.pk,
            "its log was altered outside Mutuals, so nothing more is added to it; "
            f"`mutuals ballot verify {altered.pk}` names what was altered",
        )
    ]
    assert Ballot.objects.get(pk=altered.pk).status == "open"
