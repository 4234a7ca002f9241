"""How a report writes its figures: money in pounds or millions, shares, estimates, years."""

from __future__ import annotations

import math
from decimal import Decimal

MINUS = "\u2212"


def money(value: float | Decimal | None) -> str:
    """£1,306.6m from a million up, £336,000 below; a minus sign for a negative amount."""
    if value is None:
        return "not measured"
    amount = float(value)
    sign = MINUS if amount < 0 else ""
    size = abs(amount)
    if size >= 999_950:
        return f"{sign}£{size / 1e6:,.1f}m"
    return f"{sign}£{size:,.0f}"


def share(value: float | None) -> str:
    """A share as a whole percentage: 0.083 -> '8%'; '–' when there is nothing to share."""
    return "–" if value is None else f"{value:.0%}"


def _three_figures(size: float) -> str:
    """A positive number to three significant figures, never in exponent form below a
    million: 2,347 / 714 / 1.11 / 0.0456."""
    if size >= 1000:
        return f"{size:,.0f}"
    if size < 1e-4:
        return f"{size:.2e}"
    decimals = max(0, 2 - math.floor(math.log10(size)))
    return f"{size:,.{decimals}f}"


def signed(value: float | None) -> str:
    """An estimate to three significant figures with its sign: +1.23, −0.0456, 0."""
    if value is None:
        return "–"
    number = float(value)
    if number == 0:
        return "0"
    return ("+" if number > 0 else MINUS) + _three_figures(abs(number))


def plain(value: float | None) -> str:
    """A measure to three significant figures: 12.6, 0.0456, 9,124, −3.06."""
    if value is None:
        return "–"
    number = float(value)
    if number == 0:
        return "0"
    return (MINUS if number < 0 else "") + _three_figures(abs(number))


def p_value(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def financial_year(year: int | None) -> str:
    """2010 -> '2010/11'."""
    if year is None:
        return "–"
    return f"{year}/{(year + 1) % 100:02d}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 contract', '71 contracts'."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
