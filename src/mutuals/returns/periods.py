"""Reporting periods: quarters (2011-Q2), months (2011-06) and financial years (2011/12).

A financial year runs from 1 April: ``2011/12`` starts on 2011-04-01. Periods are
stored by their label and by the date they start, so that series sort correctly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

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


def parse_period(text: str) -> Period:
    """Parse a period label, raising :class:`PeriodError` with the accepted forms."""
    cleaned = text.strip()
    if cleaned[:4] == "0000":
        raise PeriodError(f"'{text}' is not a period: the year must be 0001 or later")
    if match := _QUARTER.match(cleaned):
        year, quarter = int(match[1]), int(match[2])
        return Period(date(year, 3 * quarter - 2, 1), "quarter", f"{year}-Q{quarter}")
    if match := _MONTH.match(cleaned):
        return Period(date(int(match[1]), int(match[2]), 1), "month", cleaned)
    if match := _FINANCIAL_YEAR.match(cleaned):
        first = int(match[1])
        if (first + 1) % 100 != int(match[2]):
            raise PeriodError(
                f"'{text}' is not a financial year: the second part must be the year after "
                f"{first}, as in {first}/{(first + 1) % 100:02d}"
            )
        return Period(date(first, 4, 1), "year", cleaned)
    raise PeriodError(
        f"'{text}' is not a period: use a quarter (2011-Q2), a month (2011-06) "
        "or a financial year (2011/12)"
    )


def quarter_label(day: date) -> str:
    """The quarter that contains ``day``, as a label such as 2011-Q2."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_index(label: str) -> int:
    """Quarters counted from 0000-Q1, so that differences are numbers of quarters."""
    period = parse_period(label)
    if period.kind != "quarter":
        raise PeriodError(f"'{label}' is not a quarter")
    return period.start.year * 4 + (period.start.month - 1) // 3


def quarter_from_index(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"
