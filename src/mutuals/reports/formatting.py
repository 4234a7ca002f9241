"""How a report writes its figures: the engine's number style, plus years and counts.

Money, shares, estimates and p-values come from :mod:`mutuals.engine.numbers`,
the one formatter every page, report and verdict uses.
"""

from __future__ import annotations

from mutuals.engine.numbers import MINUS, amount, money, p_value, plain, share, signed

__all__ = [
    "MINUS", "against_in_house", "amount", "count", "saving_range", "financial_year", "money", "p_value", "plain", "share",
    "signed",
]  # fmt: skip


def against_in_house(saving: float | None, *, than: str = "in-house") -> str:
    """A saving said without a double negative: '£4.1m less than in-house' when the
    provider cost less, '£470.7m more than in-house' when it cost more."""
    if saving is None:
        return "not measured"
    if money(abs(saving)) == "£0":
        return f"the same as {than}"
    return f"{money(abs(saving))} {'less' if saving > 0 else 'more'} than {than}"


def saving_range(first: float, last: float, *, than: str = "in-house") -> str:
    """Two savings as one range without a double negative, in the order given: 'from £1.2m
    to £3.4m less than in-house', 'from £0.3m less to £2.1m more than in-house'."""
    if (first >= 0) == (last >= 0):
        word = "less" if first >= 0 else "more"
        return f"from {money(abs(first))} to {money(abs(last))} {word} than {than}"
    start = against_in_house(first, than=than).removesuffix(f" than {than}")
    return f"from {start} to {against_in_house(last, than=than)}"


def financial_year(year: int | None) -> str:
    """2010 -> '2010/11'."""
    if year is None:
        return "–"
    return f"{year}/{(year + 1) % 100:02d}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 contract', '71 contracts'."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
