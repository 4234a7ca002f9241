"""``verify``: recompute everything a ballot's result rests on and name what was altered.

Checks, in order: the log's chain (each entry's hash and its link to the one before); that
the log ends where its sealed head says (:mod:`.sealed_head`: entries cut off the end); that
the ballot's status agrees with the steps its log records, in their order (:mod:`.stages`);
that each option still counts (for, against, abstention) as the create entry recorded; the
electorate against the freeze entry (the electors' register references hashed again);
every vote's seal; that votes, has-voted marks and "cast" entries number the same; once
tallied, the count per option and the results digest against the tally entry; and, given a
copy of the published result, that the log still reaches the entry count and head it gives
(:mod:`.published`), which is what catches a ballot rolled back to an older sealed head.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mutuals.governance.ballots import chain, sealed_head, secrecy, stages
from mutuals.governance.ballots.published import PublishedLog
from mutuals.governance.ballots.published import problems as published_problems
from mutuals.governance.ballots.tally import count_votes
from mutuals.governance.models import Ballot, BallotEvent, BallotStatus, Elector, Vote


@dataclass
class Verification:
    ballot: Ballot
    entries: int = 0
    votes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(ballot_id: int, *, published: PublishedLog | None = None) -> Verification:
    """Every problem found in the ballot; ``published`` is a copy of its published result's
    entry count and head, to hold the log to."""
    ballot = Ballot.objects.select_related("organisation").get(pk=ballot_id)
    events = list(BallotEvent.objects.filter(ballot=ballot).order_by("sequence"))
    report = Verification(ballot, entries=len(events))
    report.problems += chain.chain_problems(ballot.pk, events)
    report.problems += sealed_head.problems(ballot.pk, events[-1] if events else None)
    report.problems += stages.problems(ballot, events)
    by_kind = _last_by_kind(events)
    report.problems += _counting_problems(ballot, by_kind.get("create"))
    report.problems += _electorate_problems(ballot, by_kind.get("freeze"))
    report.votes, vote_problems = _vote_problems(ballot)
    report.problems += vote_problems
    report.problems += _count_problems(ballot, events, report.votes)
    if "tally" in by_kind:  # a ballot marked published without one is named by stages
        report.problems += _tally_problems(ballot, by_kind["tally"])
    if published is not None:
        report.problems += published_problems(events, published)
    return report


def _last_by_kind(events: list[BallotEvent]) -> dict[str, BallotEvent]:
    return {event.kind: event for event in events}


def _counting_problems(ballot: Ballot, create: BallotEvent | None) -> list[str]:
    """An option's ``counts_as`` decides what the staff-control assessment reads; the create
    entry records it, so an edited option is caught."""
    if create is None:
        return []
    # Only spin-out and constitution ballots log ``counts_as``; one created before options
    # were counted explicitly logged none (its options kept the old order's meaning).
    recorded = create.payload.get("counts_as")
    stored = list(ballot.options.order_by("position").values_list("counts_as", flat=True))
    if recorded is None or recorded == stored:
        return []
    return [
        f"how the options count (for, against, abstention) differs from log entry "
        f"#{create.sequence} (create)"
    ]


def _electorate_problems(ballot: Ballot, freeze: BallotEvent | None) -> list[str]:
    if freeze is None:
        if ballot.status != BallotStatus.DRAFT or Elector.objects.filter(ballot=ballot).exists():
            return ["the log has no freeze entry, yet the ballot has an electorate"]
        return []
    references = Elector.objects.filter(ballot=ballot).values_list("person__reference", flat=True)
    digest, size = secrecy.electorate_hash(references)
    problems = []
    if (digest, size) != (
        freeze.payload.get("electorate_hash"),
        freeze.payload.get("electorate_size"),
    ):
        problems.append(
            f"the electorate was altered after the freeze (log entry #{freeze.sequence}): "
            f"it now has {size} electors and a different hash"
        )
    if (ballot.electorate_hash, ballot.electorate_size) != (
        freeze.payload.get("electorate_hash"),
        freeze.payload.get("electorate_size"),
    ):
        problems.append(
            f"the ballot's electorate hash or size differs from log entry #{freeze.sequence}"
        )
    return problems


def _vote_problems(ballot: Ballot) -> tuple[int, list[str]]:
    problems = []
    rows = Vote.objects.filter(ballot=ballot).values_list(
        "id", "option_id", "option__ballot_id", "receipt_digest", "seal"
    )
    count = 0
    for vote_id, option_id, option_ballot, digest, stored in rows.iterator(chunk_size=5000):
        count += 1
        if option_ballot != ballot.pk or not secrecy.seal_holds(
            ballot.pk, vote_id, option_id, digest, stored
        ):
            problems.append(
                f"vote with receipt {secrecy.short(digest)}… was altered: its seal does not "
                "match its option and receipt"
            )
    return count, problems


def _count_problems(ballot: Ballot, events: list[BallotEvent], votes: int) -> list[str]:
    marks = Elector.objects.filter(ballot=ballot, has_voted=True).count()
    casts = Counter(event.kind for event in events)["cast"]
    if votes == marks == casts:
        return []
    return [
        f"the counts disagree: {votes} vote(s), {marks} elector(s) marked as having voted and "
        f"{casts} cast entr{'y' if casts == 1 else 'ies'} in the log"
    ]


def _tally_problems(ballot: Ballot, entry: BallotEvent) -> list[str]:
    counts, digest, votes = count_votes(ballot)
    recorded = {int(k): v for k, v in entry.payload.get("counts", {}).items()}
    problems = []
    if recorded != counts or entry.payload.get("votes") != votes:
        problems.append(
            f"the recount differs from the published tally (log entry #{entry.sequence}): "
            + ", ".join(
                f"option {p} has {counts.get(p, 0)}, published {recorded.get(p, 0)}"
                for p in sorted(set(counts) | set(recorded))
                if counts.get(p, 0) != recorded.get(p, 0)
            )
            or "the number of votes differs"
        )
    if digest != entry.payload.get("results_digest"):
        problems.append(
            f"the set of votes differs from the one tallied (log entry #{entry.sequence}): "
            "its results digest does not match"
        )
    return problems
