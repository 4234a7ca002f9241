"""Staff control of the spin-outs, for the portfolio report and dashboard: one row per
provider delivering services on the date, with its shares, seats, vote and flags."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from mutuals.engine.control import ControlConfig, ControlResult
from mutuals.evaluation.risk import assessed_providers
from mutuals.governance.control import assess_many, control_config
from mutuals.registry.models import Organisation
from mutuals.reports.document import Bullets, Cell, Column, Paragraph, Section, Table
from mutuals.reports.formatting import count, share

BUYOUT = "management_buyout_risk"


@dataclass(frozen=True)
class PortfolioControl:
    as_of: date
    config: ControlConfig
    rows: tuple[tuple[Organisation, ControlResult], ...]

    @property
    def assessed(self) -> tuple[tuple[Organisation, ControlResult], ...]:
        return tuple((o, r) for o, r in self.rows if r.enough_data)

    @property
    def without_data(self) -> int:
        return len(self.rows) - len(self.assessed)

    def flag_counts(self) -> Counter:
        return Counter(check.label for _, r in self.assessed for check in r.flags)

    @property
    def buyout_risks(self) -> tuple[Organisation, ...]:
        return tuple(o for o, r in self.assessed if r.check(BUYOUT).flagged)


def portfolio_control(as_of: date) -> PortfolioControl:
    """Every spin-out delivering services on ``as_of``, assessed on that date."""
    live = assessed_providers(as_of).order_by("name", "pk")
    config = control_config()
    return PortfolioControl(as_of, config, tuple(assess_many(live, as_of, config)))


def control_table(portfolio: PortfolioControl, id_: str = "staff-control-table") -> Table:
    columns = (
        Column("Provider"),
        Column("Votes: staff at large", numeric=True),
        Column("Votes: senior", numeric=True),
        Column("Equity: senior", numeric=True),
        Column("Staff-elected seats", numeric=True),
        Column("Membership take-up", numeric=True),
        Column("Spin-out vote turnout", numeric=True),
        Column("Asset lock"),
        Column("Flags"),
    )
    rows = []
    for organisation, r in portfolio.assessed:
        h, vote = r.holdings, r.vote
        turnout = vote.turnout if vote else None
        lock = {None: "Not recorded", True: "Yes", False: "No"}[r.asset_lock]
        flags = "; ".join(check.label for check in r.flags) or "None"
        rows.append((
            Cell(organisation.name, organisation.pk),
            Cell(share(h.vote_share("staff_at_large")), h.vote_share("staff_at_large")),
            Cell(share(h.vote_share("senior")), h.vote_share("senior")),
            Cell(share(h.equity_share("senior")), h.equity_share("senior")),
            Cell(f"{r.staff_elected_seats} of {r.seats}", r.staff_elected_seats),
            Cell(share(r.take_up), r.take_up),
            Cell(share(turnout) if vote else "No vote", turnout),
            Cell(lock, r.asset_lock),
            Cell(flags, tuple(check.code for check in r.flags)),
        ))  # fmt: skip
    caption = f"Staff control of each spin-out on {portfolio.as_of:%-d %B %Y}"
    note = (
        "Shares are of all votes or all equity on the date. Staff at large are frontline "
        "staff and managers employed on the date; senior are senior managers and directors "
        "employed on the date; anyone else counts as not staff."
    )
    return Table(id_, caption, columns, tuple(rows), note)


def control_finding(portfolio: PortfolioControl) -> str:
    assessed = len(portfolio.assessed)
    if not assessed:
        return (
            "No spin-out has a member register recorded, so staff control cannot be assessed: "
            "not enough data."
        )
    risks = len(portfolio.buyout_risks)
    text = (
        f"Of {count(assessed, 'spin-out')} with a member register, {risks} "
        f"{'shows' if risks == 1 else 'show'} a management buy-out risk: senior managers "
        "hold a majority of the votes or equity, or staff at large hold too few of the votes."
    )
    if portfolio.without_data:
        text += (
            f" {count(portfolio.without_data, 'other spin-out')} "
            f"{'has' if portfolio.without_data == 1 else 'have'} no register recorded: not "
            "enough data."
        )
    return text


def thresholds_sentence(config: ControlConfig) -> str:
    return (
        "The thresholds are this service's own choice, not an official definition of a "
        f"mutual: a buy-out risk when senior managers hold more than "
        f"{config.senior_majority:.0%} of votes or equity or staff at large less than "
        f"{config.staff_at_large_min:.0%} of votes; low turnout below "
        f"{config.min_turnout:.0%}; low take-up below {config.min_take_up:.0%} of employed "
        f"staff; fewer than {config.min_staff_elected_seats} staff-elected board seat(s) "
        "flagged. They are set by the MUTUALS_CONTROL_* settings."
    )


def control_section(portfolio: PortfolioControl) -> Section:
    counts = portfolio.flag_counts()
    blocks: list = [
        Paragraph(
            "Unions warned that a spin-out called a mutual can hide a management buy-out. "
            "Each spin-out's member register, board, constitution and staff votes show who "
            "controls it and whether staff had a say."
        ),
        Paragraph(control_finding(portfolio)),
    ]
    if counts:
        blocks.append(
            Bullets(tuple(f"{label}: {count(n, 'provider')}" for label, n in counts.most_common()))
        )
    if portfolio.assessed:
        blocks.append(control_table(portfolio))
    blocks.append(Paragraph(thresholds_sentence(portfolio.config)))
    return Section("staff-control", "Staff control", tuple(blocks))


def dashboard_context(as_of: date) -> dict:
    """What the portfolio dashboard's Staff control section shows."""
    portfolio = portfolio_control(as_of)
    return {
        "finding": control_finding(portfolio),
        "flags": portfolio.flag_counts().most_common(),
        "table": control_table(portfolio) if portfolio.assessed else None,
        "thresholds": thresholds_sentence(portfolio.config),
    }
