"""Staff ballots: read a provider's ballots, their published results and the receipt list.

Seen as on the web (the ``ballot`` rules: the provider's managers and staff, and auditors).
Votes are cast on the web only: a vote through a token would record the token's last use,
a time tied to the voter, and the web journey writes nothing of the kind.
"""

from __future__ import annotations

import datetime as dt

from ninja import Path, Query, Router, Schema
from pydantic import Field

from mutuals.accounts.permissions import visible
from mutuals.api.auth import READ, caller
from mutuals.api.errors import not_found
from mutuals.api.listing import OrganisationFilter, PageParams, organisation_ids, page
from mutuals.api.routers.register import MAX_ID, organisation_ref
from mutuals.api.schemas import OrganisationRef, page_of, responses
from mutuals.governance import ballots
from mutuals.governance.models import Ballot

router = Router(tags=["Ballots"])


class OptionCount(Schema):
    position: int
    label: str
    votes: int | None = Field(description="Null until the result is published.")


class BallotResult(Schema):
    electorate: int
    votes: int
    turnout: float | None = Field(description="Votes as a fraction of the electorate.")
    results_digest: str = Field(
        description="SHA-256 of the sorted '<receipt digest>:<option position>' lines."
    )
    log_entries: int = Field(
        description="How many entries the ballot's log had at the tally; keep it with "
        "log_head to detect entries later cut from the log."
    )


class BallotSummary(Schema):
    id: int
    organisation: OrganisationRef
    question: str
    subject: str = Field(description="spin_out, constitution or other")
    status: str = Field(description="draft, frozen, open, closed or tallied")
    electorate_date: dt.date
    members_only: bool
    opens_at: dt.datetime
    closes_at: dt.datetime
    electorate_size: int | None
    electorate_hash: str = Field(description="Empty until the electorate is frozen.")


class BallotDetail(BallotSummary):
    options: list[OptionCount]
    log_head: str = Field(
        description="Hash of the newest entry in the ballot's log; once published, the hash "
        "of its tally entry (the head at the tally)."
    )
    result: BallotResult | None = Field(description="Null until the result is published.")


class PublishedVote(Schema):
    receipt_digest: str
    option_position: int
    option: str


BallotPage = page_of(BallotSummary)
PublishedVotePage = page_of(PublishedVote)


def _ballots(request):
    return visible(caller(request).viewer, "ballot").select_related("organisation")


def _summary(ballot: Ballot) -> dict:
    fields = (
        "question", "subject", "status", "electorate_date", "members_only", "opens_at",
        "closes_at", "electorate_size", "electorate_hash",
    )  # fmt: skip
    return {
        "id": ballot.pk,
        "organisation": organisation_ref(ballot.organisation),
        **{name: getattr(ballot, name) for name in fields},
    }


@router.get("/ballots", response=responses({200: BallotPage}), auth=READ, summary="List ballots")
def list_ballots(request, paging: Query[PageParams], where: Query[OrganisationFilter]):
    """Ballots you may see, by id."""
    found = _ballots(request)
    if where.organisation:
        found = found.filter(organisation_id__in=organisation_ids(where.organisation))
    return page(request, found.order_by("pk"), paging, _summary)


def _visible_ballot(request, id: int) -> Ballot:
    ballot = _ballots(request).filter(pk=id).first()
    if ballot is None:
        raise not_found(f"ballot {id}")
    return ballot


@router.get(
    "/ballots/{id}",
    response=responses({200: BallotDetail}),
    auth=READ,
    summary="Read a ballot and its result",
)
def get_ballot(request, id: int = Path(..., ge=1, le=MAX_ID)):
    ballot = _visible_ballot(request, id)
    found = ballots.result(ballot)
    counts = {count.position: count.votes for count in found.counts} if found else {}
    return {
        **_summary(ballot),
        "options": [
            {"position": o.position, "label": o.label, "votes": counts.get(o.position)}
            for o in ballot.options.all()
        ],
        "log_head": found.log_head if found else ballots.chain.head(ballot),
        "result": None
        if found is None
        else {
            "electorate": found.electorate,
            "votes": found.votes,
            "turnout": found.turnout,
            "results_digest": found.results_digest,
            "log_entries": found.log_entries,
        },
    }


@router.get(
    "/ballots/{id}/receipts",
    response=responses({200: PublishedVotePage}),
    auth=READ,
    summary="List a published ballot's votes by receipt",
)
def list_receipts(request, paging: Query[PageParams], id: int = Path(..., ge=1, le=MAX_ID)):
    """Every vote by its receipt digest, in digest order; empty until the result is
    published. A voter finds theirs by hashing their code (see the result page)."""
    ballot = _visible_ballot(request, id)
    return page(
        request,
        ballots.published_receipts(ballot),
        paging,
        lambda row: {"receipt_digest": row[0], "option_position": row[1], "option": row[2]},
    )
