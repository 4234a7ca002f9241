"""Numbers written for people: the one place that turns a float into text a reader sees.

A commissioner reads "−6,830 contacts" or "£7.8m", never "−6.83e+03". Every
page, report, CSV meant for people and verdict reason formats its figures
here, so one column never mixes two styles:

- measures to three significant figures with thousands separators and never
  in exponent form (``figure``, ``plain``, ``signed``);
- money in pounds below a million and in millions above (``money``);
- an amount in a metric's own unit (``amount``): a difference in a metric
  measured in per cent is in *percentage points*; pounds carry the £ sign and
  any "per contact" after the figure; other units follow the figure.

The minus sign is the typographic one (U+2212), as GOV.UK's style asks.
"""

from __future__ import annotations

import math
from decimal import Decimal

MINUS = "\u2212"
_NEGLIGIBLE = 5e-10  # below this a figure is floating-point noise: written as 0
_MAX_DECIMALS = 10


def figure(size: float) -> str:
    """A non-negative number to three significant figures, never in exponent form:
    2,347 / 714 / 1.11 / 0.0456 / 0.0000123."""
    size = abs(float(size))
    if size < _NEGLIGIBLE:
        return "0"
    if size >= 1000:
        return f"{size:,.0f}"
    decimals = min(_MAX_DECIMALS, max(0, 2 - math.floor(math.log10(size))))
    text = f"{size:,.{decimals}f}"
    if float(text.replace(",", "")) >= 1000:  # 999.6 rounds up to 1,000
        return f"{size:,.0f}"
    return text


def _finite(value) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def plain(value, missing: str = "–") -> str:
    """A measure to three significant figures with a minus sign when negative: −3.06."""
    number = _finite(value)
    if number is None:
        return missing
    text = figure(number)
    return text if text == "0" or number > 0 else MINUS + text


def signed(value, missing: str = "–") -> str:
    """An estimate with its sign always shown: +1.23, −0.0456, 0."""
    number = _finite(value)
    if number is None:
        return missing
    text = figure(number)
    if text == "0":
        return "0"
    return ("+" if number > 0 else MINUS) + text


def money(value: float | Decimal | None, missing: str = "not measured") -> str:
    """£1,306.6m from a million up, £336,000 down to £1,000, then three figures (£12.6,
    £0.834); a minus sign for a negative amount."""
    number = _finite(value)
    if number is None:
        return missing
    sign = MINUS if number < 0 else ""
    size = abs(number)
    if size >= 999_950:
        return f"{sign}£{size / 1e6:,.1f}m"
    if size >= 1000:
        return f"{sign}£{size:,.0f}"
    text = figure(size)
    return "£0" if text == "0" else f"{sign}£{text}"


def is_percent(unit: str) -> bool:
    """Whether a metric is measured in per cent ("%", "% positive")."""
    return unit.strip().startswith("%")


def amount(value, unit: str, *, sign: bool = False, difference: bool = True) -> str:
    """``value`` in the metric's ``unit``, for a sentence or a table cell.

    A difference in a per-cent metric is in percentage points ("2.03 percentage
    points"), a level in per cent ("12.5%"); pounds lead ("£7.8m", "£0.834 per
    contact"); any other unit follows ("6,830 contacts", "1.2 weeks"). ``sign``
    writes + for a positive amount.
    """
    number = _finite(value)
    if number is None:
        return "–"
    unit = unit.strip()
    if unit.startswith("£"):
        rest = unit[1:].strip()
        text = money(abs(number))
        prefix = MINUS if number < 0 and text != "£0" else ("+" if sign and number > 0 else "")
        return f"{prefix}{text}{' ' + rest if rest else ''}"
    text = signed(number) if sign else plain(number)
    if is_percent(unit):
        return f"{text} percentage points" if difference else f"{text}%"
    return f"{text} {unit}" if unit else text


def share(value: float | None) -> str:
    """A share as a whole percentage: 0.083 -> '8%'; '–' when there is nothing to share."""
    number = _finite(value)
    return "–" if number is None else f"{number:.0%}"


def approx(value: float) -> str:
    """A figure without trailing zeros, for "about 0.25 findings"."""
    text = plain(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def percent(share: float) -> str:
    """A share as a percentage to three significant figures, without trailing zeros:
    0.95 -> '95%', 0.994 -> '99.4%', 0.001 -> '0.1%'."""
    text = figure(100 * share)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def p_value(value: float | None) -> str:
    """A p-value to three decimals, or '<0.001'."""
    number = _finite(value)
    if number is None:
        return "–"
    return "<0.001" if number < 0.001 else f"{number:.3f}"
