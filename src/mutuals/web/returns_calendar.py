"""A provider's returns, quarter by quarter: which metrics it returned and which are missing.

The calendar covers the :data:`QUARTERS` quarters up to the portfolio's "as of" quarter (the
latest whose returns are substantially complete: :mod:`mutuals.returns.coverage`), or up to
the organisation's own latest quarter when it has returned later than that. Its metrics are
those the organisation returned in those quarters or the year before them, so a metric it
used to return and has stopped shows as missing. One query on the organisation's current
returns, through the index that starts with the organisation.

The portfolio's "as of" comes from the returns' summary (:mod:`mutuals.returns.summary`),
made once per version of the returns, so it moves with the first import that moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mutuals.evaluation.risk import returns_as_of
from mutuals.registry.models import Organisation
from mutuals.returns.models import CurrentObservation, Metric, PeriodKind
from mutuals.returns.periods import PeriodError, parse_period, quarter_from_index

QUARTERS = 6


def portfolio_as_of() -> date:
    """The portfolio's "as of" date (read from the returns' summary, not the returns)."""
    return returns_as_of()


@dataclass(frozen=True)
class CalendarRow:
    metric: Metric
    returned: tuple[bool, ...]  # one per quarter, oldest first

    @property
    def missing(self) -> int:
        return self.returned.count(False)


@dataclass(frozen=True)
class ReturnsCalendar:
    organisation: Organisation
    quarters: tuple[str, ...]  # oldest first
    rows: tuple[CalendarRow, ...]

    @property
    def missing(self) -> int:
        return sum(row.missing for row in self.rows)

    @property
    def latest_quarter(self) -> str:
        return self.quarters[-1]

    def missing_in(self, quarter: str) -> int:
        position = self.quarters.index(quarter)
        return sum(not row.returned[position] for row in self.rows)


def _quarter_of(period: str, kind: str) -> int | None:
    """The quarter (by index) a quarterly or monthly return is for; None for a year."""
    if kind == PeriodKind.YEAR:
        return None
    try:
        parsed = parse_period(period)
    except PeriodError:
        return None
    return _index(parsed.start)


def _index(day: date) -> int:
    """The quarter ``day`` falls in, numbered as :func:`quarter_index` numbers them."""
    return day.year * 4 + (day.month - 1) // 3


def returns_calendar(organisation: Organisation, as_of: date | None = None) -> ReturnsCalendar:
    """The organisation's calendar of the last :data:`QUARTERS` quarters (two queries)."""
    as_of = as_of or portfolio_as_of()
    last = _index(as_of)
    first_read = parse_period(quarter_from_index(last - QUARTERS - 3)).start
    rows = CurrentObservation.objects.filter(
        organisation=organisation, period_start__gte=first_read
    ).values_list("metric_id", "period", "period_kind")
    seen: dict[int, set[int]] = {}
    for metric_id, period, kind in rows:
        index = _quarter_of(period, kind)
        if index is not None:
            seen.setdefault(metric_id, set()).add(index)
    latest_own = max((max(found) for found in seen.values()), default=last)
    last = max(last, latest_own)
    indexes = range(last - QUARTERS + 1, last + 1)
    metrics = Metric.objects.filter(pk__in=list(seen)).order_by("name")
    return ReturnsCalendar(
        organisation=organisation,
        quarters=tuple(quarter_from_index(i) for i in indexes),
        rows=tuple(
            CalendarRow(metric, tuple(i in seen[metric.pk] for i in indexes)) for metric in metrics
        ),
    )
