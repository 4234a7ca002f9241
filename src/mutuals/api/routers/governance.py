"""Staff control of a provider: the assessment from its member register, board,
constitution and staff votes.

The assessment is a summary (shares of the whole, counts and flags), not a list of people,
so whoever may see the organisation may read it, with or without a token. The register
itself, which names people, is not served here.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from mutuals.accounts.permissions import visible
from mutuals.api.auth import PUBLIC_READ, caller
from mutuals.api.errors import ApiProblem, FieldError, not_found
from mutuals.api.routers.register import MAX_ID, organisation_ref
from mutuals.api.schemas import OrganisationRef, responses
from mutuals.engine.control import GROUPS, ControlResult
from mutuals.governance import control
from mutuals.registry.models import OrganisationKind

router = Router(tags=["Governance"], auth=PUBLIC_READ)


class GroupShares(Schema):
    staff_at_large: float | None
    senior: float | None
    not_staff: float | None


class SpinOutVote(Schema):
    held_on: dt.date | None
    electorate: int
    votes_for: int
    votes_against: int
    abstentions: int
    turnout: float | None
    share_for: float | None = Field(description="Share of the decided votes (for and against).")
    secret_ballot: bool = Field(description="Held in Mutuals, not recorded from papers.")


class StaffConsultation(Schema):
    meetings: int | None = Field(
        description="Staff consultation meetings held before the spin-out vote (null when no "
        "vote is recorded)."
    )
    attended: int | None = Field(
        description="Staff attendances at those meetings, as their organisers marked them."
    )


class Check(Schema):
    code: str
    label: str
    status: str = Field(description="flag, clear or unknown (not enough data)")
    value: float | None
    threshold: float | None
    reason: str


class StaffControl(Schema):
    organisation: OrganisationRef
    as_of: dt.date
    status: str = Field(description="not_enough_data, flagged or no_flags")
    people: int = Field(description="People on the register on the date.")
    vote_shares: GroupShares
    equity_shares: GroupShares
    board_seats: int
    staff_elected_seats: int
    employed_staff: int
    staff_members: int
    take_up: float | None
    spin_out_vote: SpinOutVote | None
    asset_lock: bool | None
    consultation: StaffConsultation | None = Field(
        description="Whether staff were consulted, not only balloted."
    )
    checks: list[Check]
    thresholds: dict[str, float]


class AsOf(Schema):
    as_of: dt.date | None = Field(None, description="The date to assess on (default today).")


def staff_control_json(organisation, day: dt.date, result: ControlResult) -> dict:
    h, vote = result.holdings, result.vote
    return {
        "organisation": organisation_ref(organisation),
        "as_of": day,
        "status": result.status,
        "people": result.people,
        "vote_shares": {g: h.vote_share(g) for g in GROUPS},
        "equity_shares": {g: h.equity_share(g) for g in GROUPS},
        "board_seats": result.seats,
        "staff_elected_seats": result.staff_elected_seats,
        "employed_staff": result.employed_staff,
        "staff_members": result.staff_members,
        "take_up": result.take_up,
        "spin_out_vote": None
        if vote is None
        else {
            "held_on": vote.held_on,
            "electorate": vote.electorate,
            "votes_for": vote.votes_for,
            "votes_against": vote.votes_against,
            "abstentions": vote.abstentions,
            "turnout": vote.turnout,
            "share_for": vote.share_for,
            "secret_ballot": vote.secret_ballot,
        },
        "asset_lock": result.asset_lock,
        "consultation": _consultation(result),
        "checks": [c.__dict__ for c in result.checks],
        "thresholds": {k: float(v) for k, v in result.config.__dict__.items()},
    }


def _consultation(result: ControlResult) -> dict | None:
    if result.consultation is None:
        return None
    known = result.vote is not None
    return {
        "meetings": result.consultation.meetings if known else None,
        "attended": result.consultation.attended if known else None,
    }


@router.get(
    "/organisations/{id}/staff-control",
    response=responses({200: StaffControl}),
    summary="Read a provider's staff-control assessment",
)
def get_staff_control(request, where: Query[AsOf], id: int = Path(..., ge=1, le=MAX_ID)):
    """Shares of votes and equity by group, staff-elected board seats, membership take-up,
    the spin-out vote, the asset lock, and each check with its reason. Thresholds are this
    product's documented choices (the MUTUALS_CONTROL_* settings)."""
    organisation = visible(caller(request).viewer, "organisation").filter(pk=id).first()
    if organisation is None:
        raise not_found(f"organisation {id}")
    if organisation.kind != OrganisationKind.PROVIDER:
        reason = (
            f"Organisation {id} is a {organisation.get_kind_display().lower()}: staff control "
            "is assessed for spin-out providers only."
        )
        raise ApiProblem(422, "invalid-request", reason, [FieldError(reason, "id")])
    day = where.as_of or timezone.localdate()
    return staff_control_json(organisation, day, control.assess(organisation, day))
