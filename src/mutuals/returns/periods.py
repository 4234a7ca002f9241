"""Reporting periods: quarters (2011-Q2), months (2011-06) and financial years (2011/12).

A financial year runs from 1 April: ``2011/12`` starts on 2011-04-01. Periods are
stored by their label and by the date they start, so that series sort correctly.

Every period :func:`parse_period` accepts starts on a day a ``date`` can hold (years
0001 to 9999), and its arithmetic never overflows: :attr:`Period.end` of a period that
would run past 31 December 9999 (9999/00) is that day. Stored labels are parsed by the
read paths, so parsing accepts what a ``date`` can hold; which periods a return may be
*for* is a narrower rule, kept by the validator: see :mod:`mutuals.returns.span`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta
from typing import Literal

from mutuals.returns.cells import quoted

PeriodKind = Literal["quarter", "month", "year"]

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


class PeriodError(ValueError):
    """A period label is not in one of the accepted forms."""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    kind: PeriodKind
    label: str

    def __str__(self) -> str:
        return self.label

    @property
    def end(self) -> date:
        """The period's last day, or 31 December 9999 (the last a date holds) for one that
        would end later."""
        following = first_of_month_after(self.start, _MONTHS[self.kind])
        return date.max if following is None else following - timedelta(days=1)


_MONTHS = {"quarter": 3, "month": 1, "year": 12}


def first_of_month_after(day: date, months: int) -> date | None:
    """The first day of the month ``months`` after ``day``'s (or before, when negative);
    None when that is outside the years 0001 to 9999 a ``date`` holds."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if not MINYEAR <= year <= MAXYEAR:
        return None
    return date(year, month, 1)


def parse_period(text: str) -> Period:
    """Parse a period label, raising :class:`PeriodError` with the accepted forms."""
    cleaned = text.strip()
    if cleaned[:4] == "0000":
        raise PeriodError(f"{quoted(text)} is not a period: the year must be 0001 or later")
    if match := _QUARTER.match(cleaned):
        year, quarter = int(match[1]), int(match[2])
        return Period(date(year, 3 * quarter - 2, 1), "quarter", f"{year:04d}-Q{quarter}")
    if match := _MONTH.match(cleaned):
        return Period(date(int(match[1]), int(match[2]), 1), "month", cleaned)
    if match := _FINANCIAL_YEAR.match(cleaned):
        first = int(match[1])
        if (first + 1) % 100 != int(match[2]):
            raise PeriodError(
                f"{quoted(text)} is not a financial year: the second part must be the year "
                f"after {first}, as in {first}/{(first + 1) % 100:02d}"
            )
        return Period(date(first, 4, 1), "year", cleaned)
    raise PeriodError(
        f"{quoted(text)} is not a period: use a quarter (2011-Q2), a month (2011-06) "
        "or a financial year (2011/12)"
    )


def quarter_label(day: date) -> str:
    """The quarter that contains ``day``, as a label such as 2011-Q2."""
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def quarter_index(label: str) -> int:
    """Quarters counted from 0000-Q1, so that differences are numbers of quarters."""
    period = parse_period(label)
    if period.kind != "quarter":
        raise PeriodError(f"{quoted(label)} is not a quarter")
    return period.start.year * 4 + (period.start.month - 1) // 3


def quarter_from_index(index: int) -> str:
    """The label of the quarter :func:`quarter_index` numbers ``index`` (a year of four
    digits, as labels have)."""
    return f"{index // 4:04d}-Q{index % 4 + 1}"
