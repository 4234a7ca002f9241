"""Staff control of a provider on a date: the register read into the engine's assessment.

Votes follow the constitution in force on the date: *one member, one vote* gives every
member on the date one vote; *votes follow shares* gives each holding its shares times its
class's votes per share. With no constitution recorded, votes follow shares when anyone
holds shares, and otherwise every member has one vote. Equity is the shares held in
classes that carry equity. The spin-out vote is the latest staff vote on spinning out held
on or before the date, whether held in Mutuals (a tallied ballot) or recorded from papers.
Staff consultation meetings held before that vote (:mod:`mutuals.events.consultation`) are
counted too: staff were consulted, not only balloted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time

import polars as pl
from django.conf import settings
from django.db.models import F, Q, Sum
from django.utils import timezone

from mutuals.engine.control import (
    Consultation,
    ControlConfig,
    ControlResult,
    StaffVote,
    assess_control,
)
from mutuals.events.consultation import meetings_before
from mutuals.governance.models.register import (
    BoardSeat,
    Constitution,
    MemberVoting,
    Person,
    StaffVoteRecord,
    seated_on,
)
from mutuals.registry.models import Organisation

SCHEMA = {
    "role_group": pl.Utf8,
    "employed": pl.Boolean,
    "member": pl.Boolean,
    "votes": pl.Float64,
    "equity": pl.Float64,
}


def control_config() -> ControlConfig:
    """The thresholds in force, from the MUTUALS_CONTROL_* settings."""
    return ControlConfig(
        senior_majority=settings.MUTUALS_CONTROL_SENIOR_MAJORITY,
        staff_at_large_min=settings.MUTUALS_CONTROL_STAFF_AT_LARGE_MIN,
        min_turnout=settings.MUTUALS_CONTROL_MIN_TURNOUT,
        min_share_for=settings.MUTUALS_CONTROL_MIN_SHARE_FOR,
        min_take_up=settings.MUTUALS_CONTROL_MIN_TAKE_UP,
        min_staff_elected_seats=settings.MUTUALS_CONTROL_MIN_STAFF_ELECTED_SEATS,
    )


_SHARES_IF_ANY = {True: MemberVoting.PER_SHARE, False: MemberVoting.ONE_MEMBER_ONE_VOTE}


def _between(day: date, start: date | None, until: date | None) -> bool:
    """The models' rule for "on a date": ``start <= day < until``, no start meaning never."""
    return start is not None and start <= day and (until is None or day < until)


def _held_on(day: date) -> Q:
    """A person's holdings valid on ``day``, as a filter through ``holdings``."""
    return Q(holdings__valid_from__lte=day) & (
        Q(holdings__valid_until__isnull=True) | Q(holdings__valid_until__gt=day)
    )


def register_frames(organisation_ids: list[int], day: date, voting: dict[int, str | None]):
    """Per organisation, one row per person on its register on ``day``: the engine's
    ``people`` input, read in one query whatever the number of organisations."""
    held = _held_on(day)
    people = (
        Person.objects.filter(organisation_id__in=organisation_ids)
        .annotate(
            share_votes=Sum(
                F("holdings__shares") * F("holdings__share_class__votes_per_share"), filter=held
            ),
            equity=Sum(
                "holdings__shares", filter=held & Q(holdings__share_class__carries_equity=True)
            ),
        )
        .order_by("pk")
        .values_list(
            "organisation_id", "role_group", "employed_from", "employed_until", "member_from",
            "member_until", "share_votes", "equity",
        )
    )  # fmt: skip
    people = [(*row[:6], float(row[6] or 0), float(row[7] or 0)) for row in people]
    share_voting = {pk: False for pk in organisation_ids}
    for organisation_id, *_, votes, _equity in people:
        share_voting[organisation_id] |= votes > 0
    rows: dict[int, list[tuple]] = {pk: [] for pk in organisation_ids}
    for organisation_id, role_group, e_from, e_until, m_from, m_until, votes, equity in people:
        employed, member = _between(day, e_from, e_until), _between(day, m_from, m_until)
        if not (employed or member or votes or equity):
            continue  # someone who has left and holds nothing
        how = voting.get(organisation_id) or _SHARES_IF_ANY[share_voting[organisation_id]]
        vote = votes if how == MemberVoting.PER_SHARE else (1.0 if member else 0.0)
        rows[organisation_id].append((role_group, employed, member, vote, equity))
    return {pk: pl.DataFrame(r, schema=SCHEMA, orient="row") for pk, r in rows.items()}


def _latest_by_organisation(queryset, date_field: str) -> dict[int, object]:
    latest: dict[int, object] = {}
    for row in queryset.order_by(date_field, "pk"):
        latest[row.organisation_id] = row
    return latest


def staff_vote(record: StaffVoteRecord | None) -> StaffVote | None:
    if record is None:
        return None
    return StaffVote(
        electorate=record.electorate,
        votes_for=record.votes_for,
        votes_against=record.votes_against,
        abstentions=record.abstentions,
        held_on=record.held_on,
        secret_ballot=record.ballot_id is not None,
    )


def vote_began(record: StaffVoteRecord) -> datetime:
    """When a spin-out vote began, for "before the vote": voting's opening, for a ballot held
    in Mutuals; the start of the day it was held, for one recorded from papers."""
    if record.ballot_id is not None:
        return record.ballot.opens_at
    return timezone.make_aware(datetime.combine(record.held_on, time.min))


def consultations(votes: dict[int, StaffVoteRecord]) -> dict[int, Consultation]:
    """Per organisation with a spin-out vote, the consultation meetings held before it (one
    query, none without votes); an organisation without a vote gets none to count."""
    counts = meetings_before({pk: vote_began(record) for pk, record in votes.items()})
    return {pk: Consultation(*counts.get(pk, (0, 0))) for pk in votes}


def assess(
    organisation: Organisation, day: date | None = None, config: ControlConfig | None = None
) -> ControlResult:
    """The staff-control assessment of ``organisation`` on ``day`` (default today)."""
    return assess_many([organisation], day, config)[0][1]


def assess_many(
    organisations: Iterable[Organisation],
    day: date | None = None,
    config: ControlConfig | None = None,
) -> list[tuple[Organisation, ControlResult]]:
    """The assessment of each organisation on ``day``, in a fixed number of queries."""
    organisations = list(organisations)
    day = day or timezone.localdate()
    config = config or control_config()
    ids = [o.pk for o in organisations]
    constitutions = _latest_by_organisation(
        Constitution.objects.filter(organisation_id__in=ids, effective_from__lte=day),
        "effective_from",
    )
    votes = _latest_by_organisation(
        StaffVoteRecord.objects.filter(
            organisation_id__in=ids, subject=StaffVoteRecord.Subject.SPIN_OUT, held_on__lte=day
        ).select_related("ballot"),
        "held_on",
    )
    consulted = consultations(votes)
    seats: dict[int, list[str]] = defaultdict(list)
    seated = BoardSeat.objects.filter(seated_on(day), organisation_id__in=ids)
    for organisation_id, filled_by in seated.values_list("organisation_id", "filled_by"):
        seats[organisation_id].append(filled_by)
    voting = {pk: c.member_voting for pk, c in constitutions.items()}
    frames = register_frames(ids, day, voting)
    results = []
    for organisation in organisations:
        constitution = constitutions.get(organisation.pk)
        result = assess_control(
            frames[organisation.pk],
            seats=seats[organisation.pk],
            vote=staff_vote(votes.get(organisation.pk)),
            asset_lock=constitution.asset_lock if constitution else None,
            config=config,
            consultation=consulted.get(organisation.pk, Consultation(0, 0)),
        )
        results.append((organisation, result))
    return results
