"""Staff control in words: the lines the provider page, the portfolio and the report show.

The assessment is a summary (shares of the whole, counts, flags), never a list of people,
so anyone who may see the organisation may read it.
"""

from __future__ import annotations

from mutuals.engine.control import ControlResult

STATUS_TEXT = {
    "not_enough_data": "Not enough data",
    "flagged": "Flags raised",
    "no_flags": "No flags",
}
NOT_ENOUGH = (
    "Not enough data: nobody is on the member register on this date, so staff control "
    "cannot be assessed."
)


def percent(value: float | None) -> str:
    return "Not known" if value is None else f"{value:.0%}"


def _split(result: ControlResult, kind: str) -> str:
    h = result.holdings
    share = h.vote_share if kind == "votes" else h.equity_share
    if share("staff_at_large") is None:
        return "No votes are held" if kind == "votes" else "No shares carry equity"
    return (
        f"staff at large {percent(share('staff_at_large'))}, senior managers and directors "
        f"{percent(share('senior'))}, not staff {percent(share('not_staff'))}"
    ).capitalize()


def _seats(result: ControlResult) -> str:
    if not result.seats:
        return "No board seats recorded"
    return f"{result.staff_elected_seats} of {result.seats} ({percent(result.staff_elected_share)})"


def _take_up(result: ControlResult) -> str:
    if not result.employed_staff:
        return "No employed staff on the register"
    return (
        f"{result.staff_members} of {result.employed_staff} employed staff are members "
        f"({percent(result.take_up)})"
    )


def _vote(result: ControlResult) -> str:
    vote = result.vote
    if vote is None:
        return "No staff vote on spinning out is recorded"
    how = "secret ballot in Mutuals" if vote.secret_ballot else "recorded from the provider"
    when = f"{vote.held_on:%-d %B %Y}" if vote.held_on else "on a date not recorded"
    return (
        f"Held {when} ({how}): turnout {percent(vote.turnout)}, "
        f"{percent(vote.share_for)} of decided votes for"
    )


def _asset_lock(result: ControlResult) -> str:
    if result.asset_lock is None:
        return "No constitution recorded"
    return "Yes" if result.asset_lock else "No"


def _consultation(result: ControlResult) -> str:
    consulted = result.consultation
    if result.vote is None:
        return "Not known: no staff vote on spinning out is recorded"
    if not consulted.meetings:
        return "No staff consultation meeting before the vote is recorded"
    meetings = f"{consulted.meetings} meeting{'s' if consulted.meetings != 1 else ''}"
    return f"{meetings} before the vote, with {consulted.attended} staff attendances in all"


def summary_rows(result: ControlResult) -> list[tuple[str, str]]:
    """(what, the figure in words) for each measure."""
    rows = [
        ("Share of votes", _split(result, "votes")),
        ("Share of equity", _split(result, "equity")),
        ("Staff-elected board seats", _seats(result)),
        ("Membership take-up", _take_up(result)),
        ("Staff vote on spinning out", _vote(result)),
        ("Asset lock", _asset_lock(result)),
    ]
    if result.consultation is not None:
        rows.insert(5, ("Staff consultation meetings", _consultation(result)))
    return rows


def flag_lines(result: ControlResult) -> list[tuple[str, str]]:
    """(flag, its reason) for each flag raised."""
    return [(check.label, check.reason) for check in result.flags]


def status_text(result: ControlResult) -> str:
    return STATUS_TEXT[result.status]
