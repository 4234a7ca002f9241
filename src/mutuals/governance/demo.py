"""A synthetic member register for every demo spin-out, and the demo accounts' entries.

Each provider gets people sized by its staff count (at most :data:`MAX_PEOPLE`, so the
demo loads fast), a membership or share class with holdings, a board, a constitution from
its spin-out date and a recorded staff vote on spinning out. Most registers look like the
staff-led mutuals they claim to be; one provider in :data:`BUYOUT_EVERY` looks like a
management buy-out (directors hold most shares, no asset lock, no staff-elected director,
a thin vote or none) and a few others have low membership take-up, so the assessment's
flags appear. Names are invented from syllables; no real person is shown. Everything is
drawn from one seed, so the same seed gives the same registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from mutuals.governance.models.register import (
    BoardSeat,
    Constitution,
    Holding,
    MemberVoting,
    Person,
    RoleGroup,
    SeatFilledBy,
    ShareClass,
    StaffVoteRecord,
)
from mutuals.registry.models import Organisation, OrganisationKind

MAX_PEOPLE = 300
BUYOUT_EVERY = 9  # one provider in nine looks like a management buy-out
LOW_TAKE_UP_EVERY = 7
DEFAULT_SPINOUT = date(2011, 4, 1)
SHARE_FORMS = {"cic_shares", "company"}
LOCKED_FORMS = {"cic_guarantee", "cic_shares", "community_benefit_society", "charity"}
_FIRST = ("Ada", "Bryn", "Cass", "Dilys", "Esme", "Fenn", "Gwen", "Hal", "Ione", "Jory",
          "Kit", "Lor", "Mabli", "Nye", "Olwen", "Pip", "Rhys", "Sian", "Tam", "Wyn")  # fmt: skip
_LAST = ("Ashby", "Brockle", "Carrow", "Dunmere", "Elsby", "Fairweld", "Gorsey", "Hennet",
         "Ivel", "Jessomer", "Kestley", "Larkin", "Morrow", "Nettle", "Orrin", "Pellow",
         "Quarle", "Rookby", "Sallow", "Thessel", "Wendle", "Yarrow")  # fmt: skip


@dataclass(frozen=True)
class RegisterSummary:
    providers: int
    people: int
    holdings: int
    seats: int
    buyout_like: int


def wipe_registers() -> None:
    """Delete the rows that protect their share classes and ballots, so the organisations
    (and with them the rest of every register) can be deleted."""
    StaffVoteRecord.objects.all().delete()
    Holding.objects.all().delete()


def load_registers(seed: int) -> RegisterSummary:
    """Write a register for every provider that has none, in bulk."""
    rng = np.random.default_rng([seed, 7])
    providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, register__isnull=True)
    counts = np.zeros(4, dtype=int)
    buyouts = 0
    for index, organisation in enumerate(providers.order_by("name", "pk").distinct()):
        buyout = index % BUYOUT_EVERY == BUYOUT_EVERY - 1
        low_take_up = not buyout and index % LOW_TAKE_UP_EVERY == LOW_TAKE_UP_EVERY - 1
        counts += _register(organisation, rng, buyout=buyout, low_take_up=low_take_up)
        buyouts += buyout
    return RegisterSummary(int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3]), buyouts)


def _register(organisation: Organisation, rng, *, buyout: bool, low_take_up: bool) -> np.ndarray:
    start = organisation.spinout_date or DEFAULT_SPINOUT
    n = int(min(max(organisation.staff_count or 40, 12), MAX_PEOPLE))
    people = Person.objects.bulk_create(_people(organisation, rng, n, start, low_take_up))
    per_share = buyout or organisation.legal_form in SHARE_FORMS
    holdings = _holdings(organisation, rng, people, start, per_share=per_share, buyout=buyout)
    seats = _board(organisation, rng, people, start, buyout=buyout)
    Constitution.objects.create(
        organisation=organisation,
        effective_from=start,
        asset_lock=not buyout and organisation.legal_form in LOCKED_FORMS,
        member_voting=MemberVoting.PER_SHARE if per_share else MemberVoting.ONE_MEMBER_ONE_VOTE,
        staff_membership_open=not buyout,
        profit_reinvested_min=None if buyout else round(float(rng.uniform(0.5, 0.8)), 2),
        notes="Synthetic demo constitution.",
    )
    _spin_out_vote(organisation, rng, people, start, buyout=buyout)
    return np.array([1, len(people), holdings, seats])


def _people(organisation, rng, n: int, start: date, low_take_up: bool) -> list[Person]:
    seniors = max(2, round(n * 0.03))
    managers = max(1, round(n * 0.12))
    take_up = rng.uniform(0.2, 0.4) if low_take_up else rng.uniform(0.65, 0.95)
    rows = []
    for i in range(n):
        group = (
            RoleGroup.SENIOR if i < seniors else RoleGroup.MANAGER if i < seniors + managers
            else RoleGroup.FRONTLINE
        )  # fmt: skip
        hired = start - timedelta(days=int(rng.integers(30, 20 * 365)))
        left = None
        if group != RoleGroup.SENIOR and rng.random() < 0.08:
            left = start + timedelta(days=int(rng.integers(200, 8 * 365)))
        member = group == RoleGroup.SENIOR or rng.random() < take_up
        rows.append(
            Person(
                organisation=organisation,
                reference=f"E{i + 1:04d}",
                name=f"{_FIRST[rng.integers(len(_FIRST))]} {_LAST[rng.integers(len(_LAST))]}",
                role_group=group,
                employed_from=hired,
                employed_until=left,
                member_from=start if member else None,
                member_until=left if member else None,
            )
        )
    return rows


def _holdings(organisation, rng, people, start, *, per_share: bool, buyout: bool) -> int:
    name = "Ordinary shares" if per_share else "Membership"
    share_class = ShareClass.objects.create(
        organisation=organisation, name=name, votes_per_share=1, carries_equity=per_share
    )
    rows = []
    for person in people:
        if person.member_from is None:
            continue
        senior = person.role_group == RoleGroup.SENIOR
        shares = 1
        if per_share and senior:
            shares = int(rng.integers(400, 900)) if buyout else int(rng.integers(1, 4))
        rows.append(
            Holding(
                person=person,
                share_class=share_class,
                shares=shares,
                valid_from=start,
                valid_until=person.member_until,
            )  # fmt: skip
        )
    return len(Holding.objects.bulk_create(rows))


def _board(organisation, rng, people, start, *, buyout: bool) -> int:
    seniors = [p for p in people if p.role_group == RoleGroup.SENIOR]
    staff = [p for p in people if p.role_group == RoleGroup.FRONTLINE and p.member_from]
    seats = [BoardSeat(organisation=organisation, holder_name="Independent chair",
                       filled_by=SeatFilledBy.INDEPENDENT, held_from=start)]  # fmt: skip
    for person in seniors[:2]:
        seats.append(BoardSeat(organisation=organisation, holder_name=person.name, person=person,
                               filled_by=SeatFilledBy.APPOINTED, is_executive=True,
                               held_from=start))  # fmt: skip
    if not buyout:
        for person in staff[: int(rng.integers(1, 3))]:
            seats.append(BoardSeat(organisation=organisation, holder_name=person.name,
                                   person=person, filled_by=SeatFilledBy.STAFF_ELECTED,
                                   held_from=start))  # fmt: skip
    if rng.random() < 0.5:
        seats.append(BoardSeat(organisation=organisation, holder_name="Commissioner's nominee",
                               filled_by=SeatFilledBy.COMMISSIONER_NOMINEE, held_from=start))  # fmt: skip
    return len(BoardSeat.objects.bulk_create(seats))


def _spin_out_vote(organisation, rng, people, start: date, *, buyout: bool) -> None:
    if buyout and rng.random() < 0.5:
        return  # no staff vote at all
    electorate = sum(1 for p in people if p.employed_from < start)
    turnout = rng.uniform(0.15, 0.35) if buyout else rng.uniform(0.55, 0.9)
    cast = int(electorate * turnout)
    votes_for = int(cast * rng.uniform(0.6, 0.9))
    abstentions = int((cast - votes_for) * 0.2)
    StaffVoteRecord.objects.create(
        organisation=organisation,
        subject=StaffVoteRecord.Subject.SPIN_OUT,
        held_on=start - timedelta(days=int(rng.integers(60, 150))),
        question="Should the service leave the public body and become a staff-led enterprise?",
        electorate=electorate,
        votes_for=votes_for,
        votes_against=cast - votes_for - abstentions,
        abstentions=abstentions,
        source="Synthetic demo vote, recorded from the provider's papers.",
    )


def enrol_demo_accounts(provider: Organisation, *, staff_user, manager_user) -> None:
    """Put the demo staff member and provider manager on their provider's register, so the
    staff member can vote: each takes the first employed frontline member (or manager)
    without an account, or a new entry when the register has none."""
    today = date.today()
    for user, group in ((staff_user, RoleGroup.FRONTLINE), (manager_user, RoleGroup.MANAGER)):
        Person.objects.filter(organisation=provider, user=user).update(user=None)
        person = (
            Person.objects.filter(
                organisation=provider, role_group=group, user__isnull=True,
                employed_until__isnull=True, member_from__isnull=False,
            )
            .order_by("reference")
            .first()
        )  # fmt: skip
        if person is None:
            person = Person.objects.create(
                organisation=provider, reference=f"DEMO-{group}", name=user.first_name or
                user.get_username(), role_group=group, employed_from=today, member_from=today,
            )  # fmt: skip
        person.user = user
        person.name = user.first_name or person.name
        person.save(update_fields=["user", "name"])
