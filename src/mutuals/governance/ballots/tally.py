"""Counting a closed ballot, publishing the result, and finding a vote by its receipt.

The tally entry in the log holds the electorate, the number of votes, the count for each
option (by position) and the results digest over every (receipt digest, option) pair, so
``verify`` can recount and compare. It is the log's last entry: the published result gives
its sequence and hash, the log's length and head at the tally. A spin-out or constitution
ballot also writes its :class:`~mutuals.governance.models.StaffVoteRecord`, which the
staff-control assessment reads: each option counts as its ``counts_as`` says (for, against
or abstention), set when the ballot was created and logged in its create entry, whatever
order the options are in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.governance.ballots import chain, secrecy
from mutuals.governance.ballots.errors import ReceiptNotFound, WrongStage
from mutuals.governance.ballots.lifecycle import RECORDED_SUBJECTS, locked
from mutuals.governance.ballots.published import PublishedLog
from mutuals.governance.models import (
    Ballot,
    BallotEvent,
    BallotStatus,
    CountsAs,
    StaffVoteRecord,
    Vote,
)


@dataclass(frozen=True)
class OptionCount:
    position: int
    label: str
    votes: int


@dataclass(frozen=True)
class Result:
    """A published result, as its tally entry records it. ``log_entries`` and ``log_head``
    are the log's length and head at the tally (the tally entry's sequence and hash):
    someone who keeps them can tell later if entries were cut from the log (see
    :mod:`.published`)."""

    electorate: int
    votes: int
    counts: list[OptionCount]
    results_digest: str
    log_entries: int
    log_head: str

    @property
    def published_log(self) -> PublishedLog:
        return PublishedLog(head=self.log_head, entries=self.log_entries)

    @property
    def turnout(self) -> float | None:
        return self.votes / self.electorate if self.electorate else None

    def share(self, count: OptionCount) -> float | None:
        return count.votes / self.votes if self.votes else None


def in_words(ballot: Ballot, found: Result) -> str:
    """The result as a sentence: 'Carried: 143 for, 61 against, 12 abstaining; turnout 72%
    (216 of 300).' for a ballot with sides, else the option with most votes."""
    turnout = (
        f"turnout {round(100 * found.turnout)}% ({found.votes:,} of {found.electorate:,})"
        if found.turnout is not None
        else "no electorate"
    )
    sides = dict(ballot.options.values_list("position", "counts_as"))
    votes = {side: 0 for side in (CountsAs.FOR, CountsAs.AGAINST, CountsAs.ABSTAIN)}
    for count in found.counts:
        votes[sides.get(count.position) or CountsAs.ABSTAIN] += count.votes
    if any(sides.get(c.position) for c in found.counts):
        decided = votes[CountsAs.FOR] + votes[CountsAs.AGAINST]
        share = votes[CountsAs.FOR] / decided if decided else 0.0
        carried = decided and share > settings.MUTUALS_CONTROL_MIN_SHARE_FOR
        text = (
            f"{'Carried' if carried else 'Not carried'}: {votes[CountsAs.FOR]:,} for, "
            f"{votes[CountsAs.AGAINST]:,} against"
        )
        if votes[CountsAs.ABSTAIN]:
            text += f", {votes[CountsAs.ABSTAIN]:,} abstaining"
        return f"{text}; {turnout}."
    if not found.votes:
        return f"No votes were cast; {turnout}."
    top = max(c.votes for c in found.counts)
    leaders = [c.label for c in found.counts if c.votes == top]
    if len(leaders) > 1:
        return f"Tied between {' and '.join(leaders)} with {top:,} votes each; {turnout}."
    return f"Most votes: {leaders[0]} ({top:,} of {found.votes:,}); {turnout}."


def count_votes(ballot: Ballot) -> tuple[dict[int, int], str, int]:
    """Per option position, the votes; the results digest; the number of votes."""
    rows = list(
        Vote.objects.filter(ballot=ballot).values_list("receipt_digest", "option__position")
    )
    counts = dict.fromkeys(ballot.options.values_list("position", flat=True), 0)
    for _, position in rows:
        counts[position] = counts.get(position, 0) + 1
    return counts, secrecy.results_digest(rows), len(rows)


def tally(ballot_id: int, *, user=None, now: datetime | None = None) -> Ballot:
    with transaction.atomic():
        ballot = locked(ballot_id)
        if ballot.status != BallotStatus.CLOSED:
            if ballot.status == BallotStatus.TALLIED:
                raise WrongStage(f"Ballot {ballot.pk}'s result is already published.")
            raise WrongStage(f"Ballot {ballot.pk} is not closed yet: close it, then tally.")
        counts, digest, votes = count_votes(ballot)
        chain.append(
            ballot,
            "tally",
            {
                "electorate": ballot.electorate_size,
                "votes": votes,
                "counts": {str(position): n for position, n in sorted(counts.items())},
                "results_digest": digest,
            },
            at=now,
        )
        ballot.status = BallotStatus.TALLIED
        ballot.save(update_fields=["status"])
        if ballot.subject in RECORDED_SUBJECTS:
            record_staff_vote(ballot, counts)
        audit.record("ballot-tally", user=user, obj=ballot, organisation=ballot.organisation)
    return ballot


def record_staff_vote(ballot: Ballot, counts: dict[int, int]) -> StaffVoteRecord:
    """Write the ballot's staff vote record; an option without ``counts_as`` counts as an
    abstention."""
    sides = dict.fromkeys(CountsAs.values, 0)
    for position, counts_as in ballot.options.values_list("position", "counts_as"):
        sides[counts_as or CountsAs.ABSTAIN] += counts.get(position, 0)
    record, _ = StaffVoteRecord.objects.update_or_create(
        ballot=ballot,
        defaults={
            "organisation": ballot.organisation,
            "subject": ballot.subject,
            "held_on": timezone.localdate(ballot.closes_at),
            "question": ballot.question,
            "electorate": ballot.electorate_size or 0,
            "votes_for": sides[CountsAs.FOR],
            "votes_against": sides[CountsAs.AGAINST],
            "abstentions": sides[CountsAs.ABSTAIN],
            "source": f"Mutuals ballot {ballot.pk}",
        },
    )
    return record


def result(ballot: Ballot) -> Result | None:
    """The published result, or None before the tally."""
    if ballot.status != BallotStatus.TALLIED:
        return None
    entry = BallotEvent.objects.filter(ballot=ballot, kind="tally").order_by("-sequence").first()
    if entry is None:
        return None
    labels = dict(ballot.options.values_list("position", "label"))
    counts = [
        OptionCount(int(position), labels.get(int(position), f"option {position}"), n)
        for position, n in sorted(entry.payload["counts"].items(), key=lambda kv: int(kv[0]))
    ]
    return Result(
        electorate=entry.payload["electorate"],
        votes=entry.payload["votes"],
        counts=counts,
        results_digest=entry.payload["results_digest"],
        log_entries=entry.sequence,
        log_head=entry.entry_hash,
    )


def published_receipts(ballot: Ballot):
    """Every vote as (receipt digest, option position, option label), in digest order;
    empty until the result is published."""
    if ballot.status != BallotStatus.TALLIED:
        return Vote.objects.none().values_list("receipt_digest")
    return (
        Vote.objects.filter(ballot=ballot)
        .order_by("receipt_digest")
        .values_list("receipt_digest", "option__position", "option__label")
    )


def find_receipt(ballot: Ballot, code: str) -> str:
    """The label of the option the vote with this receipt code was cast for."""
    raw = secrecy.normalise_receipt(code)
    if raw is None:
        raise ReceiptNotFound(
            f"Enter the receipt code as it was shown to you: {secrecy.CODE_LENGTH} letters "
            "and digits in groups of four, such as ABCD-EFGH-JKMN-PQRS."
        )
    digest = secrecy.receipt_digest(ballot.pk, raw)
    label = (
        Vote.objects.filter(ballot=ballot, receipt_digest=digest)
        .values_list("option__label", flat=True)
        .first()
    )
    if label is None:
        raise ReceiptNotFound(
            "No vote in this ballot has that receipt code. Check it character by character; "
            "a code from another ballot is not found here."
        )
    return label


def turnout_by_ballot(ballot_ids) -> dict[int, int]:
    """How many have voted in each ballot (the has-voted marks), for list pages."""
    from mutuals.governance.models import Elector

    rows = (
        Elector.objects.filter(ballot_id__in=ballot_ids, has_voted=True)
        .values("ballot_id")
        .annotate(n=Count("pk"))
    )
    return {row["ballot_id"]: row["n"] for row in rows}
