"""How complete the returns are, quarter by quarter, and the "as of" date that follows.

The portfolio's risk, savings and headline figures are measured as of one date. The
end of the latest period *anyone* returned let a single provider's early return move
the whole portfolio forward, where every other provider's figures were missing or a
year stale. So the default "as of" is the end of the latest quarter whose returns are
*substantially complete*:

- an organisation has **returned for a quarter** when it has a current return for the
  quarter itself or for any month in it (a month belongs to its quarter);
- **financial-year returns do not count**: a year spans four quarters, and counting it
  in any one of them would make an organisation that reports only yearly look absent in
  the other three;
- a quarter is **substantially complete** when at least ``MUTUALS_COMPLETE_RETURNS_SHARE``
  (default 0.9) as many organisations returned for it as for the busiest of the
  :data:`LOOKBACK` quarters before it. Organisations are counted, not matched one by
  one, so a newcomer can stand in for one that is late. Against the busiest recent
  quarter, not just the one before, so that neither one early return nor a run of them
  (one provider returning two quarters ahead, one after the other) can make a quarter
  complete; a genuine fall in the number reporting (providers handing services back)
  holds the date back for at most a year, until the busier quarters drop out of the
  look-back;
- quarters that begin after today are left out, and the date is never later than today;
- when no quarter is complete yet (a single quarter returned so far, or only isolated
  returns), the default is the end of the **earliest** quarter returned, the one date a
  later return cannot move; with no quarterly or monthly returns at all, it is today;
- returns stored for a period no return can be for (one that does not parse, or lies
  outside :mod:`mutuals.returns.span`, as rows written before that rule can) are left
  out, and :meth:`ReturnsCoverage.sentence` names them, so that one such row can neither
  break every page that shows the date nor move it to 1800.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from mutuals.returns.cells import excerpt
from mutuals.returns.periods import PeriodError, parse_period, quarter_from_index, quarter_index
from mutuals.returns.span import PeriodSpan, returns_span
from mutuals.returns.summary import current_summary

LOOKBACK = 4  # quarters: a year
LEFT_OUT_NAMED = 5  # periods named in the sentence; the rest are counted
log = logging.getLogger(__name__)


class AsOfError(ValueError):
    """A quarter asked for as the "as of" date that the returns cannot give figures for."""


@dataclass(frozen=True)
class QuarterReturns:
    """How many organisations returned for one quarter, against the busiest quarters before."""

    label: str  # 2019-Q1
    start: date
    end: date
    returned: int
    previous: int  # organisations that returned for the busiest of the quarters before
    complete: bool

    @property
    def share(self) -> float | None:
        """Organisations returning for this quarter over those for the busiest of the
        quarters before."""
        return self.returned / self.previous if self.previous else None

    @property
    def percent(self) -> int | None:
        """The share as a whole percentage, rounded down so that a quarter shown as 90%
        has at least 90%: rounding up would show an incomplete 89.6% as 90%."""
        return self.returned * 100 // self.previous if self.previous else None

    @property
    def completeness(self) -> str:
        """How many returned, in words: '412 organisations returned for it, 98% of the
        418 that returned in the busiest of the four quarters before'."""
        returned = _organisations(self.returned)
        if not self.previous:
            return f"{returned} returned for it and none for the {LOOKBACK} quarters before"
        before = (
            f"the {self.previous:,} that returned in the busiest of the {LOOKBACK} quarters before"
        )
        if self.returned > self.previous:
            return f"{returned} returned for it, more than {before}"
        return f"{returned} returned for it, {self.percent}% of {before}"


def _organisations(count: int) -> str:
    return f"{count:,} organisation{'' if count == 1 else 's'}"


def _day(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _where(quarter: QuarterReturns, day: date) -> str:
    """Where ``day`` falls in ``quarter``: its end, or part way through while it runs."""
    if day == quarter.end:
        return f"the end of {quarter.label}"
    return f"part way through {quarter.label}"


@dataclass(frozen=True)
class ReturnsCoverage:
    """Every quarter with returns up to ``today``, oldest first, and the default "as of"
    date they give."""

    today: date
    complete_share: float
    quarters: tuple[QuarterReturns, ...]
    left_out: tuple[str, ...] = ()  # stored periods no return can be for, left out

    @property
    def latest_complete(self) -> QuarterReturns | None:
        return next((q for q in reversed(self.quarters) if q.complete), None)

    @property
    def default(self) -> QuarterReturns | None:
        """The quarter the figures are measured to unless another is chosen."""
        return self.latest_complete or (self.quarters[0] if self.quarters else None)

    @property
    def as_of(self) -> date:
        """The default "as of" date: see the module's docstring for the rule."""
        default = self.default
        return self.today if default is None else self.as_of_for(default)

    def as_of_for(self, quarter: QuarterReturns) -> date:
        """The date figures for ``quarter`` are measured to: its end, or today while it
        is still running."""
        return min(quarter.end, self.today)

    def quarter(self, label: str) -> QuarterReturns | None:
        return next((q for q in self.quarters if q.label == label), None)

    def containing(self, day: date) -> QuarterReturns | None:
        return next((q for q in self.quarters if q.start <= day <= q.end), None)

    def choose(self, text: str) -> QuarterReturns:
        """The quarter a person asked for (``2018-Q4``), or :class:`AsOfError` saying
        what is wrong with it."""
        try:
            period = parse_period(text)
        except PeriodError:
            period = None
        if period is None or period.kind != "quarter":
            raise AsOfError(
                f"'{text.strip()}' is not a quarter: choose one from the list "
                "(quarters are written like 2018-Q4)"
            )
        if period.start > self.today:
            raise AsOfError(f"{period.label} has not begun yet: choose a quarter from the list")
        found = self.quarter(period.label)
        if found is None:
            raise AsOfError(
                f"No organisation has returned anything for {period.label}: choose a quarter "
                "from the list"
            )
        return found

    @property
    def rule(self) -> str:
        return (
            f"at least {self.complete_share:.0%} as many organisations returning for a "
            f"quarter as for the busiest of the {LOOKBACK} quarters before"
        )

    def sentence(self, as_of: date) -> str:
        """What a page says about figures measured as of ``as_of``: which quarter that is
        and how complete its returns are, so a reader can judge how far to trust them."""
        return self._sentence(as_of) + self._left_out_sentence()

    def _sentence(self, as_of: date) -> str:
        figures = f"Figures as of {_day(as_of)}"
        quarter = self.containing(as_of)
        default = self.default
        if default is None:
            return f"{figures}: no quarterly or monthly returns have been received yet."
        if quarter is None:
            return f"{figures}, outside the quarters returned. {self._default_sentence()}"
        where = _where(quarter, as_of)
        if quarter == default and as_of == self.as_of:
            if quarter.complete:
                return (
                    f"{figures}, {where}, the latest quarter with substantially complete "
                    f"returns: {quarter.completeness}."
                )
            return (
                f"{figures}, {where}, the earliest quarter returned: no quarter's returns "
                f"are substantially complete yet ({self.rule}). {quarter.completeness}."
            )
        state = "substantially complete" if quarter.complete else "not substantially complete"
        return (
            f"{figures}, {where}, whose returns are {state}: {quarter.completeness}. "
            f"{self._default_sentence()}"
        )

    def _left_out_sentence(self) -> str:
        if not self.left_out:
            return ""
        named = ", ".join(excerpt(label) for label in self.left_out[:LEFT_OUT_NAMED])
        if len(self.left_out) > LEFT_OUT_NAMED:
            named += f" and {len(self.left_out) - LEFT_OUT_NAMED:,} more"
        return (
            f" Returns stored for periods no return can be for ({named}) are left out: an "
            "administrator should correct or remove them."
        )

    def _default_sentence(self) -> str:
        default = self.default
        which = "the latest quarter with substantially complete returns"
        if not default.complete:
            which = "the earliest quarter returned, as no quarter is substantially complete yet"
        return (
            f"Unless another is chosen, figures are as of {_day(self.as_of)}, "
            f"{_where(default, self.as_of)}, {which}."
        )


# --- reading the returns -----------------------------------------------------------------------


def organisations_by_quarter(span: PeriodSpan | None = None) -> dict[int, int]:
    """How many organisations returned for each quarter (by :func:`quarter_index`), of the
    quarters inside ``span`` (default: the span returns may be for today)."""
    return _counted(span or returns_span())[0]


def _counted(span: PeriodSpan) -> tuple[dict[int, int], tuple[str, ...]]:
    """The counts by quarter inside ``span``, and the stored periods outside it, from the
    returns' summary (:mod:`mutuals.returns.summary`): no page reads every return."""
    summary = current_summary()
    counts = {}
    for label, count in summary.quarters:
        index = _quarter_inside(label, span)
        if index is not None:
            counts[index] = count
    if len(counts) == len(summary.quarters):
        return counts, ()
    left_out = tuple(label for label in summary.periods if not _readable(label, span))
    log.warning("Returns for periods no return can be for are left out: %s", left_out[:20])
    return counts, left_out


def _quarter_inside(label: str | None, span: PeriodSpan) -> int | None:
    try:
        period = parse_period(label or "")
    except PeriodError:
        return None
    if period.kind != "quarter" or not span.holds(period):
        return None
    return quarter_index(period.label)


def _readable(label: str, span: PeriodSpan) -> bool:
    try:
        return span.holds(parse_period(label))
    except PeriodError:
        return False


def _quarter_bounds(index: int) -> tuple[date, date]:
    quarter = parse_period(quarter_from_index(index))
    return quarter.start, quarter.end


def coverage_from_counts(
    counts: Mapping[int, int],
    today: date,
    complete_share: float,
    left_out: Iterable[str] = (),
) -> ReturnsCoverage:
    """The completeness rule on counts of organisations by quarter index; quarters that
    begin after ``today`` are left out."""
    quarters = []
    for index in sorted(counts):
        start, end = _quarter_bounds(index)
        if start > today:
            break
        returned = counts[index]
        previous = max(counts.get(index - k, 0) for k in range(1, LOOKBACK + 1))
        complete = bool(previous) and returned / previous >= complete_share
        quarters.append(
            QuarterReturns(quarter_from_index(index), start, end, returned, previous, complete)
        )
    return ReturnsCoverage(today, complete_share, tuple(quarters), tuple(left_out))


def returns_coverage(
    today: date | None = None, *, complete_share: float | None = None
) -> ReturnsCoverage:
    """The completeness of the current returns, quarter by quarter, as of ``today``;
    ``complete_share`` defaults to the ``MUTUALS_COMPLETE_RETURNS_SHARE`` setting."""
    share = settings.MUTUALS_COMPLETE_RETURNS_SHARE if complete_share is None else complete_share
    counts, left_out = _counted(returns_span())
    return coverage_from_counts(counts, today or date.today(), share, left_out)
