"""The periods a return may be for: from ``RETURNS_FIRST_PERIOD`` to the current quarter
(or ``RETURNS_MAX_QUARTERS_AHEAD`` quarters after it).

A return for 9999-Q4 or 1800-Q1 is a slip no one can undo: a resubmission adds a version,
it never removes the period, and every page that works out dates from the returns would
meet it. So the validator refuses a period outside the span, naming the span, and the read
paths (the returns coverage behind the portfolio's "as of", failure risk, savings) leave
out any stored return outside it, which rows written before this rule, or by hand, can be.

The first period is a setting, not a fact the catalogue holds (metrics carry no start):
2000-Q1 by default, years before the first spin-outs of 2008–2012 and the demo world's
2007-Q1, so the pre-spin-out histories evaluations compare against fit, while a year
typed as 1800 or 0211 does not. A period starting in the last allowed quarter or before
is allowed (a financial year that has begun, a month of the current quarter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from mutuals.returns.cells import quoted
from mutuals.returns.periods import (
    Period,
    parse_period,
    quarter_from_index,
    quarter_index,
    quarter_label,
)


@dataclass(frozen=True)
class PeriodSpan:
    first: Period  # a quarter
    last: Period  # a quarter
    ahead: int  # quarters after the current one that ``last`` is

    def holds(self, period: Period) -> bool:
        return self.first.start <= period.start <= self.last.end

    def problem(self, period: Period) -> str | None:
        """Why a return cannot be for ``period``, or None when it can."""
        if period.start < self.first.start:
            return f"{quoted(period.label)} is before {self.first}: {self.allowed}"
        if period.start > self.last.end:
            return f"{quoted(period.label)} is after {self.last}, {self.latest}: {self.allowed}"
        return None

    @property
    def allowed(self) -> str:
        return f"returns can be for periods from {self.first} to {self.last}"

    @property
    def latest(self) -> str:
        if not self.ahead:
            return "the current quarter"
        return f"{self.ahead} quarter{'s' if self.ahead > 1 else ''} after the current one"

    def stored(self, prefix: str = "") -> Q:
        """The stored returns inside the span, as a filter on their ``period_start``."""
        return Q(**{f"{prefix}period_start__gte": self.first.start}) & Q(
            **{f"{prefix}period_start__lte": self.last.end}
        )


def returns_span(today: date | None = None) -> PeriodSpan:
    """The span the settings give, as of ``today`` (default: today in the site's zone)."""
    today = today or timezone.localdate()
    ahead = max(0, settings.RETURNS_MAX_QUARTERS_AHEAD)
    current = quarter_index(quarter_label(today))
    last = parse_period(quarter_from_index(min(current + ahead, quarter_index("9999-Q4"))))
    return PeriodSpan(parse_period(settings.RETURNS_FIRST_PERIOD), last, ahead)
