"""Staff control of a mutual: who holds the votes and the equity, and did staff have a say.

Unions warn that a "mutual" can hide a management buy-out. This assessment answers from the
member register on one date, the board and the constitution:

- **votes and equity** by group: *staff at large* (frontline staff and managers employed on
  the date), *senior* (senior managers and directors employed on the date) and *not staff*
  (outside holders, and anyone no longer employed, former directors included);
- **staff-elected board seats**, as a count and a share of the seats filled;
- **membership take-up**: the share of employed staff who are members;
- **the spin-out vote**: whether staff voted on spinning out, the turnout and the share of
  decided votes in favour;
- **asset lock**: whether the constitution keeps the assets for public or community benefit;
- **consultation**, when the caller has the records (:class:`Consultation`): how many staff
  consultation meetings were held before the spin-out vote, and how many staff attended —
  staff were consulted, not only balloted.

Each check is ``flag`` (past its threshold), ``clear`` or ``unknown`` (not enough data: an
empty register, no board, no constitution recorded). Thresholds are a
:class:`ControlConfig`; the defaults are this product's choice, not an official definition
of a mutual. An empty register gives "not enough data", never a guess.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl

from mutuals.engine._results import ResultMixin, require_columns
from mutuals.engine.errors import InvalidOptionError, ValueOutOfRangeError

Group = Literal["staff_at_large", "senior", "not_staff"]
GROUPS: tuple[Group, ...] = ("staff_at_large", "senior", "not_staff")
GROUP_LABELS = {
    "staff_at_large": "Staff at large",
    "senior": "Senior managers and directors",
    "not_staff": "Not staff",
}
STAFF_AT_LARGE_ROLES = ("frontline", "manager")
SENIOR_ROLES = ("senior",)
ROLE_GROUPS = ("frontline", "manager", "senior", "non_staff")
SEAT_KINDS = ("staff_elected", "appointed", "commissioner_nominee", "independent")
CheckStatus = Literal["flag", "clear", "unknown"]
Status = Literal["not_enough_data", "flagged", "no_flags"]
PEOPLE_COLUMNS = ("role_group", "employed", "member", "votes", "equity")


@dataclass(frozen=True)
class ControlConfig:
    """Where each check flags. Fractions are of the whole (0.5 is half).

    - ``senior_majority``: senior managers holding more than this share of votes or of
      equity is a management buy-out risk;
    - ``staff_at_large_min``: staff at large holding less than this share of votes is a
      management buy-out risk too (control sits elsewhere);
    - ``min_turnout``: a spin-out vote with a lower turnout is flagged;
    - ``min_share_for``: a spin-out vote carries only with more than this share of the
      decided votes (for and against) in favour;
    - ``min_take_up``: fewer employed staff than this share being members is flagged;
    - ``min_staff_elected_seats``: fewer staff-elected board seats than this is flagged.
    """

    senior_majority: float = 0.5
    staff_at_large_min: float = 0.5
    min_turnout: float = 0.5
    min_share_for: float = 0.5
    min_take_up: float = 0.5
    min_staff_elected_seats: int = 1

    def __post_init__(self) -> None:
        for name in (
            "senior_majority",
            "staff_at_large_min",
            "min_turnout",
            "min_share_for",
            "min_take_up",
        ):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InvalidOptionError(f"{name} must be a fraction from 0 to 1, not {value}.")
        if self.min_staff_elected_seats < 0:
            raise InvalidOptionError("min_staff_elected_seats must be 0 or more.")


DEFAULT_CONFIG = ControlConfig()


@dataclass(frozen=True)
class StaffVote:
    """A staff vote on spinning out, as counted."""

    electorate: int
    votes_for: int
    votes_against: int
    abstentions: int = 0
    held_on: date | None = None
    secret_ballot: bool = False  # held in Mutuals, not recorded from papers

    def __post_init__(self) -> None:
        counts = (self.electorate, self.votes_for, self.votes_against, self.abstentions)
        if min(counts) < 0:
            raise ValueOutOfRangeError("Vote counts cannot be negative.")
        if self.votes_for + self.votes_against + self.abstentions > self.electorate:
            raise ValueOutOfRangeError(
                f"{self.votes_for + self.votes_against + self.abstentions} votes were cast "
                f"by an electorate of {self.electorate}."
            )

    @property
    def turnout(self) -> float | None:
        cast = self.votes_for + self.votes_against + self.abstentions
        return cast / self.electorate if self.electorate else None

    @property
    def share_for(self) -> float | None:
        decided = self.votes_for + self.votes_against
        return self.votes_for / decided if decided else None


@dataclass(frozen=True)
class Consultation:
    """Staff consultation meetings held before the spin-out vote, as recorded: how many
    there were, and the staff attendances at them (each meeting's attendance, summed)."""

    meetings: int
    attended: int

    def __post_init__(self) -> None:
        if min(self.meetings, self.attended) < 0:
            raise ValueOutOfRangeError("Meeting and attendance counts cannot be negative.")


@dataclass(frozen=True)
class Holdings:
    """Votes and equity held by each group, and the shares of the whole."""

    votes: dict[str, float]
    equity: dict[str, float]

    @property
    def total_votes(self) -> float:
        return sum(self.votes.values())

    @property
    def total_equity(self) -> float:
        return sum(self.equity.values())

    def vote_share(self, group: Group) -> float | None:
        total = self.total_votes
        return self.votes[group] / total if total else None

    def equity_share(self, group: Group) -> float | None:
        total = self.total_equity
        return self.equity[group] / total if total else None


@dataclass(frozen=True)
class ControlCheck:
    code: str
    label: str
    status: CheckStatus
    value: float | None
    threshold: float | None
    reason: str

    @property
    def flagged(self) -> bool:
        return self.status == "flag"


@dataclass(frozen=True)
class ControlResult(ResultMixin):
    """Every measure and check of one provider's staff control."""

    people: int
    employed_staff: int
    staff_members: int
    holdings: Holdings
    seats: int
    staff_elected_seats: int
    vote: StaffVote | None
    asset_lock: bool | None
    checks: tuple[ControlCheck, ...]
    config: ControlConfig = field(default=DEFAULT_CONFIG)
    consultation: Consultation | None = None  # None: no consultation records were given

    @property
    def enough_data(self) -> bool:
        return self.people > 0

    @property
    def take_up(self) -> float | None:
        return self.staff_members / self.employed_staff if self.employed_staff else None

    @property
    def staff_elected_share(self) -> float | None:
        return self.staff_elected_seats / self.seats if self.seats else None

    @property
    def flags(self) -> tuple[ControlCheck, ...]:
        return tuple(check for check in self.checks if check.flagged)

    @property
    def status(self) -> Status:
        if not self.enough_data:
            return "not_enough_data"
        return "flagged" if self.flags else "no_flags"

    def check(self, code: str) -> ControlCheck:
        return next(c for c in self.checks if c.code == code)

    def measures(self) -> list[tuple[str, str, float | None]]:
        """(code, label, value) for every figure the assessment reports."""
        rows: list[tuple[str, str, float | None]] = []
        for group in GROUPS:
            label = GROUP_LABELS[group].lower()
            rows.append((f"votes_{group}", f"Share of votes: {label}", _vs(self, group)))
            rows.append((f"equity_{group}", f"Share of equity: {label}", _es(self, group)))
        vote = self.vote
        rows += [
            ("staff_elected_seats", "Staff-elected board seats", float(self.staff_elected_seats)),
            ("staff_elected_share", "Share of board seats elected by staff",
             self.staff_elected_share),
            ("take_up", "Membership take-up among employed staff", self.take_up),
            ("spin_out_turnout", "Turnout in the spin-out vote", vote.turnout if vote else None),
            ("spin_out_share_for", "Share for spinning out (of decided votes)",
             vote.share_for if vote else None),
            ("asset_lock", "Asset lock",
             None if self.asset_lock is None else float(self.asset_lock)),
        ]  # fmt: skip
        if self.consultation is not None:
            known = vote is not None
            rows += [
                ("consultation_meetings", "Staff consultation meetings before the spin-out vote",
                 float(self.consultation.meetings) if known else None),
                ("consultation_attended", "Staff attendances at those meetings",
                 float(self.consultation.attended) if known else None),
            ]  # fmt: skip
        return rows

    def tidy(self) -> pl.DataFrame:
        """One row per measure, then one per check."""
        measures = [
            {"kind": "measure", "code": code, "label": label, "value": value,
             "threshold": None, "status": None, "reason": None}
            for code, label, value in self.measures()
        ]  # fmt: skip
        checks = [
            {"kind": "check", "code": c.code, "label": c.label, "value": c.value,
             "threshold": c.threshold, "status": c.status, "reason": c.reason}
            for c in self.checks
        ]  # fmt: skip
        schema = {
            "kind": pl.Utf8, "code": pl.Utf8, "label": pl.Utf8, "value": pl.Float64,
            "threshold": pl.Float64, "status": pl.Utf8, "reason": pl.Utf8,
        }  # fmt: skip
        return pl.DataFrame(measures + checks, schema=schema, orient="row")


def _vs(result: ControlResult, group: Group) -> float | None:
    return result.holdings.vote_share(group)


def _es(result: ControlResult, group: Group) -> float | None:
    return result.holdings.equity_share(group)


def assess_control(
    people: pl.DataFrame,
    *,
    seats: Sequence[str] = (),
    vote: StaffVote | None = None,
    asset_lock: bool | None = None,
    config: ControlConfig = DEFAULT_CONFIG,
    consultation: Consultation | None = None,
) -> ControlResult:
    """Assess staff control from the register on one date.

    ``people`` has one row per person on the register on the date: ``role_group``
    (frontline, manager, senior or non_staff), ``employed`` and ``member`` (booleans on the
    date), ``votes`` and ``equity`` (what they hold on the date; 0 for none). ``seats``
    lists how each board seat filled on the date was filled. ``vote`` is the latest staff
    vote on spinning out, ``asset_lock`` the constitution's (None when none is recorded).
    ``consultation`` counts the staff consultation meetings held before that vote; left out,
    the assessment says nothing of consultation.
    """
    require_columns(people, PEOPLE_COLUMNS, numeric=("votes", "equity"))
    _check_people(people)
    unknown_seats = sorted(set(seats) - set(SEAT_KINDS))
    if unknown_seats:
        raise InvalidOptionError(
            f"Board seats filled by {unknown_seats[0]!r}: use one of {', '.join(SEAT_KINDS)}."
        )
    grouped = people.with_columns(group=_group_expr())
    holdings = _holdings(grouped)
    staff = grouped.filter(pl.col("group") != "not_staff")
    employed_staff = staff.height
    staff_members = staff.filter(pl.col("member")).height
    staff_elected = sum(seat == "staff_elected" for seat in seats)
    partial = ControlResult(
        people=people.height,
        employed_staff=employed_staff,
        staff_members=staff_members,
        holdings=holdings,
        seats=len(seats),
        staff_elected_seats=staff_elected,
        vote=vote,
        asset_lock=asset_lock,
        checks=(),
        config=config,
        consultation=consultation,
    )
    checks = (
        _buyout_check(partial, config),
        _seats_check(partial, config),
        _take_up_check(partial, config),
        _vote_held_check(partial),
        _turnout_check(partial, config),
        _carried_check(partial, config),
        _asset_lock_check(partial),
    )
    if consultation is not None:
        checks += (_consultation_check(partial),)
    return dataclasses.replace(partial, checks=checks)


def _check_people(people: pl.DataFrame) -> None:
    bad_roles = people.filter(~pl.col("role_group").is_in(ROLE_GROUPS))
    if bad_roles.height:
        raise InvalidOptionError(
            f"role_group {bad_roles['role_group'][0]!r} is not one of {', '.join(ROLE_GROUPS)}."
        )
    for name in ("employed", "member"):
        if people.schema[name] != pl.Boolean:
            raise InvalidOptionError(f"Column {name!r} must be true or false.")
    for name in ("votes", "equity"):
        negative = people.filter(pl.col(name) < 0)
        if negative.height:
            raise ValueOutOfRangeError(f"Column {name!r} holds {negative[name][0]}: not below 0.")


def _group_expr() -> pl.Expr:
    return (
        pl.when(~pl.col("employed") | (pl.col("role_group") == "non_staff"))
        .then(pl.lit("not_staff"))
        .when(pl.col("role_group").is_in(SENIOR_ROLES))
        .then(pl.lit("senior"))
        .otherwise(pl.lit("staff_at_large"))
    )


def _holdings(grouped: pl.DataFrame) -> Holdings:
    sums = grouped.group_by("group").agg(pl.col("votes").sum(), pl.col("equity").sum())
    votes = dict.fromkeys(GROUPS, 0.0)
    equity = dict.fromkeys(GROUPS, 0.0)
    for row in sums.iter_rows(named=True):
        votes[row["group"]] = float(row["votes"] or 0)
        equity[row["group"]] = float(row["equity"] or 0)
    return Holdings(votes, equity)


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _buyout_check(r: ControlResult, config: ControlConfig) -> ControlCheck:
    code, label = "management_buyout_risk", "Management buy-out risk"
    h = r.holdings
    if not r.enough_data or not (h.total_votes or h.total_equity):
        return ControlCheck(
            code, label, "unknown", None, config.senior_majority,
            "Not enough data: nobody on the register holds votes or equity on the date.",
        )  # fmt: skip
    reasons = []
    senior_votes, senior_equity = h.vote_share("senior"), h.equity_share("senior")
    at_large = h.vote_share("staff_at_large")
    if senior_votes is not None and senior_votes > config.senior_majority:
        reasons.append(
            f"senior managers and directors hold {_pct(senior_votes)} of the votes, more than "
            f"{_pct(config.senior_majority)}"
        )
    if senior_equity is not None and senior_equity > config.senior_majority:
        reasons.append(
            f"senior managers and directors hold {_pct(senior_equity)} of the equity, more "
            f"than {_pct(config.senior_majority)}"
        )
    if at_large is not None and at_large < config.staff_at_large_min:
        reasons.append(
            f"staff at large hold {_pct(at_large)} of the votes, less than "
            f"{_pct(config.staff_at_large_min)}"
        )
    worst = max(v for v in (senior_votes, senior_equity, 0.0) if v is not None)
    if reasons:
        text = "; ".join(reasons)
        text = text[0].upper() + text[1:] + "."
        return ControlCheck(code, label, "flag", worst, config.senior_majority, text)
    held = f"staff at large hold {_pct(at_large)} of the votes" if at_large is not None else ""
    return ControlCheck(
        code, label, "clear", worst, config.senior_majority,
        "Senior managers and directors hold no majority of votes or equity"
        + (f"; {held}." if held else "."),
    )  # fmt: skip


def _seats_check(r: ControlResult, config: ControlConfig) -> ControlCheck:
    code, label = "no_staff_elected_director", "No staff-elected director"
    threshold = float(config.min_staff_elected_seats)
    if not r.seats:
        return ControlCheck(
            code, label, "unknown", None, threshold, "Not enough data: no board seats recorded."
        )
    n = r.staff_elected_seats
    text = f"{n} of {r.seats} board seats {'is' if n == 1 else 'are'} elected by staff"
    if n < config.min_staff_elected_seats:
        return ControlCheck(
            code, label, "flag", float(n), threshold,
            f"{text}, fewer than {config.min_staff_elected_seats}.",
        )  # fmt: skip
    return ControlCheck(code, label, "clear", float(n), threshold, f"{text}.")


def _take_up_check(r: ControlResult, config: ControlConfig) -> ControlCheck:
    code, label = "low_membership_take_up", "Low membership take-up"
    if not r.employed_staff:
        return ControlCheck(
            code, label, "unknown", None, config.min_take_up,
            "Not enough data: no employed staff on the register on the date.",
        )  # fmt: skip
    take_up = r.take_up or 0.0
    text = f"{r.staff_members} of {r.employed_staff} employed staff are members ({_pct(take_up)})"
    if take_up < config.min_take_up:
        return ControlCheck(
            code, label, "flag", take_up, config.min_take_up,
            f"{text}, less than {_pct(config.min_take_up)}.",
        )  # fmt: skip
    return ControlCheck(code, label, "clear", take_up, config.min_take_up, f"{text}.")


def _vote_held_check(r: ControlResult) -> ControlCheck:
    code, label = "no_staff_vote", "No staff vote on the spin-out"
    if r.vote is None:
        return ControlCheck(
            code, label, "flag", 0.0, None, "No staff vote on spinning out is recorded."
        )
    how = "a secret ballot in Mutuals" if r.vote.secret_ballot else "a recorded vote"
    when = f" on {r.vote.held_on:%-d %B %Y}" if r.vote.held_on else ""
    return ControlCheck(code, label, "clear", 1.0, None, f"Staff voted{when}, by {how}.")


def _turnout_check(r: ControlResult, config: ControlConfig) -> ControlCheck:
    code, label = "low_turnout", "Low turnout in the spin-out vote"
    turnout = r.vote.turnout if r.vote else None
    if turnout is None:
        why = "no staff vote is recorded" if r.vote is None else "the electorate was empty"
        return ControlCheck(code, label, "unknown", None, config.min_turnout, f"Not known: {why}.")
    vote = r.vote
    cast = vote.votes_for + vote.votes_against + vote.abstentions
    text = f"{cast} of {vote.electorate} staff voted ({_pct(turnout)})"
    if turnout < config.min_turnout:
        return ControlCheck(
            code, label, "flag", turnout, config.min_turnout,
            f"{text}, less than {_pct(config.min_turnout)}.",
        )  # fmt: skip
    return ControlCheck(code, label, "clear", turnout, config.min_turnout, f"{text}.")


def _carried_check(r: ControlResult, config: ControlConfig) -> ControlCheck:
    code, label = "spin_out_not_carried", "Spin-out vote not carried"
    share = r.vote.share_for if r.vote else None
    if share is None:
        why = "no staff vote is recorded" if r.vote is None else "no decided votes were cast"
        return ControlCheck(
            code, label, "unknown", None, config.min_share_for, f"Not known: {why}."
        )
    vote = r.vote
    text = f"{vote.votes_for} for and {vote.votes_against} against ({_pct(share)} for)"
    if share <= config.min_share_for:
        return ControlCheck(
            code, label, "flag", share, config.min_share_for,
            f"{text}: no majority for spinning out.",
        )  # fmt: skip
    return ControlCheck(code, label, "clear", share, config.min_share_for, f"{text}.")


def _asset_lock_check(r: ControlResult) -> ControlCheck:
    code, label = "no_asset_lock", "No asset lock"
    if r.asset_lock is None:
        return ControlCheck(
            code, label, "unknown", None, None, "Not known: no constitution is recorded."
        )
    if not r.asset_lock:
        return ControlCheck(
            code, label, "flag", 0.0, None,
            "The constitution has no asset lock: the assets could be sold for private gain.",
        )  # fmt: skip
    return ControlCheck(
        code, label, "clear", 1.0, None,
        "The constitution locks the assets for community or public benefit.",
    )  # fmt: skip


def _consultation_check(r: ControlResult) -> ControlCheck:
    code, label = "no_consultation_before_vote", "No consultation meeting before the spin-out vote"
    c, vote = r.consultation, r.vote
    if vote is None:
        return ControlCheck(
            code, label, "unknown", None, None, "Not known: no staff vote is recorded."
        )
    when = f" on {vote.held_on:%-d %B %Y}" if vote.held_on else ""
    if c.meetings == 0:
        if not vote.secret_ballot:
            return ControlCheck(
                code, label, "unknown", None, None,
                f"Not known: the vote{when} was recorded from the provider's papers, and no "
                "consultation meeting before it is recorded.",
            )  # fmt: skip
        return ControlCheck(
            code, label, "flag", 0.0, None,
            f"No staff consultation meeting was held before the vote{when}.",
        )  # fmt: skip
    meetings = f"{c.meetings} consultation meeting{'s' if c.meetings != 1 else ''}"
    if c.attended == 0:
        return ControlCheck(
            code, label, "flag", 0.0, None,
            f"{meetings} held before the vote{when}, but no staff attendance is recorded.",
        )  # fmt: skip
    return ControlCheck(
        code, label, "clear", float(c.attended), None,
        f"{c.attended} staff attendance{'s' if c.attended != 1 else ''} at {meetings} "
        f"before the vote{when}.",
    )  # fmt: skip
