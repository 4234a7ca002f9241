"""Minimum detectable effect and the verdict on an impact estimate.

The NAO judged it "too early to assess" the Right to Request enterprises. A
verdict that prints "too early" beside an interval that already excludes zero
repeats that failure, so the verdicts here separate what is known from what
is not (:func:`verdict` for difference-in-differences, :func:`placebo_verdict`
for synthetic control):

- ``improved`` / ``worsened``: the interval excludes no effect — whenever it
  does, however few periods exist; ``below_threshold`` notes when the whole
  interval is smaller than the smallest effect that matters;
- ``no_important_effect``: the interval rules out the smallest effect that
  matters in both directions (an equivalence finding), once enough
  post-periods exist;
- ``too_early``: neither, and waiting would help — with the period from which
  the evidence should suffice;
- ``cannot_assess``: neither, and waiting would not help — with what would
  (how many comparators, or more treated units);
- ``inconclusive``: enough data and power, yet the interval spans both no
  effect and an effect that matters.

Minimum detectable effect (two-sided test at level α, power 1 − β):

    MDE = (z_{1−α/2} + z_{1−β}) × SE

With few treated units the estimate's interval is a Student t one (``did``'s
``small_sample``); giving its degrees of freedom ``df`` replaces both normal
quantiles by t quantiles with ``df`` degrees of freedom, as in Bloom (1995,
"Minimum detectable effects", Evaluation Review 19(5)), so the MDE is judged
on the same footing as the interval.

For a difference-in-differences comparison of n_T treated and n_C control
units with m pre- and r post-periods, SE follows McKenzie (2012, "Beyond
baseline and follow-up", J. Dev. Econ. 99(2)):

    SE² = σ² (1/n_T + 1/n_C) [ (1 + (m−1)ρ)/m + (1 + (r−1)ρ)/r − 2ρ ]

σ² is the outcome's residual variance (after unit and period effects) and
ρ the correlation between two periods of the same unit, assumed equal for
every pair of periods (no decay), with independent units and a common
treatment date. As r grows SE falls towards a floor set by m and ρ, so a
threshold may never be reached; the functions then say so (``None``).

An SE observed from an actual estimate can be given instead of σ²; future
SEs are then projected by the formula's ratio SE(r') / SE(r), in which σ²
and the unit counts cancel.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import polars as pl
from scipy import stats

from mutuals.engine import numbers
from mutuals.engine._results import ResultMixin
from mutuals.engine.errors import InvalidOptionError

Direction = Literal["higher_is_better", "lower_is_better"]
Verdict = Literal[
    "improved", "worsened", "no_important_effect", "inconclusive", "too_early", "cannot_assess"
]
MAX_PROJECTED_PERIODS = 400
MAX_PROJECTED_COMPARATORS = 1_000_000


@dataclass(frozen=True)
class PowerDesign:
    """Counts and variance describing a DiD comparison. Build with :func:`mde`."""

    n_treated: int
    n_control: int
    pre_periods: int
    post_periods: int
    variance: float | None = None
    autocorrelation: float = 0.0
    se: float | None = None
    alpha: float = 0.05
    power: float = 0.8
    df: float = math.inf

    def __post_init__(self) -> None:
        for name in ("n_treated", "n_control", "pre_periods"):
            if getattr(self, name) < 1:
                raise InvalidOptionError(f"{name} must be at least 1, not {getattr(self, name)}.")
        if self.post_periods < 0:
            raise InvalidOptionError("post_periods cannot be negative.")
        if (self.variance is None) == (self.se is None):
            raise InvalidOptionError("Give either the outcome variance or an observed se (one).")
        if not 0 <= self.autocorrelation < 1:
            raise InvalidOptionError("autocorrelation must be in [0, 1).")
        if not (0 < self.alpha < 1 and 0 < self.power < 1):
            raise InvalidOptionError("alpha and power are probabilities, e.g. 0.05 and 0.8.")
        if self.se is not None and self.post_periods < 1:
            raise InvalidOptionError("An observed se needs at least one post-period.")
        if not self.df > 0:
            raise InvalidOptionError(f"df must be positive (math.inf for normal), not {self.df}.")

    @cached_property
    def critical_value(self) -> float:
        """Two-sided critical value at level α: z, or t with ``df`` degrees of freedom."""
        return float(stats.t.ppf(1 - self.alpha / 2, self.df))

    @cached_property
    def multiplier(self) -> float:
        """z_{1−α/2} + z_{power}: 2.80 for α = 0.05 and 80% power (t quantiles with ``df``)."""
        return self.critical_value + float(stats.t.ppf(self.power, self.df))

    def period_factor(self, post_periods: int) -> float:
        """The bracket of McKenzie's formula for ``post_periods`` (∞ if none)."""
        if post_periods < 1:
            return math.inf
        m, r, rho = self.pre_periods, post_periods, self.autocorrelation
        return (1 + (m - 1) * rho) / m + (1 + (r - 1) * rho) / r - 2 * rho

    def standard_error(self, post_periods: int | None = None) -> float:
        r = self.post_periods if post_periods is None else post_periods
        if self.se is not None:
            return self.se * math.sqrt(
                self.period_factor(r) / self.period_factor(self.post_periods)
            )
        units = 1 / self.n_treated + 1 / self.n_control
        return math.sqrt(self.variance * units * self.period_factor(r))

    def mde(self, post_periods: int | None = None) -> float:
        return self.multiplier * self.standard_error(post_periods)

    def with_controls(self, n_control: int) -> PowerDesign:
        """The same design with another number of comparison units.

        With an observed SE the SE is scaled by sqrt((1/n_T + 1/n_C') / (1/n_T + 1/n_C)),
        McKenzie's unit term, assuming comparators as variable as those already used.
        """
        if self.se is None:
            return dataclasses.replace(self, n_control=n_control)
        ratio = (1 / self.n_treated + 1 / n_control) / (1 / self.n_treated + 1 / self.n_control)
        return dataclasses.replace(self, n_control=n_control, se=self.se * math.sqrt(ratio))

    def comparators_needed(self, threshold: float, post_periods: int) -> int | None:
        """Fewest comparison units giving an MDE at or below ``threshold`` with
        ``post_periods`` post-periods; None when no number would (the treated units'
        own term is too large)."""
        if post_periods < 1:
            return None
        huge = self.with_controls(MAX_PROJECTED_COMPARATORS)
        if huge.mde(post_periods) > threshold:
            return None
        low, high = self.n_control, MAX_PROJECTED_COMPARATORS
        if self.mde(post_periods) <= threshold:
            return self.n_control
        while high - low > 1:
            middle = (low + high) // 2
            if self.with_controls(middle).mde(post_periods) <= threshold:
                high = middle
            else:
                low = middle
        return high

    def periods_needed(self, threshold: float) -> int | None:
        """Fewest post-periods at which the MDE is at or below ``threshold``."""
        for r in range(1, MAX_PROJECTED_PERIODS + 1):
            if self.mde(r) <= threshold:
                return r
        return None


@dataclass(frozen=True)
class MdeResult(ResultMixin):
    design: PowerDesign
    mde: float
    se: float

    def tidy(self) -> pl.DataFrame:
        d = self.design
        return pl.DataFrame({
            "mde": [self.mde], "se": [self.se], "n_treated": [d.n_treated],
            "n_control": [d.n_control], "pre_periods": [d.pre_periods],
            "post_periods": [d.post_periods], "alpha": [d.alpha], "power": [d.power],
        })  # fmt: skip


def mde(
    n_treated: int,
    n_control: int,
    pre_periods: int,
    post_periods: int,
    *,
    variance: float | None = None,
    autocorrelation: float = 0.0,
    se: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    df: float = math.inf,
) -> MdeResult:
    """Minimum detectable effect of a DiD design (see the module docstring)."""
    design = PowerDesign(
        n_treated,
        n_control,
        pre_periods,
        post_periods,
        variance,
        autocorrelation,
        se,
        alpha,
        power,
        df,
    )
    return MdeResult(design, design.mde(), design.standard_error())


@dataclass(frozen=True)
class VerdictConfig:
    direction: Direction
    threshold: float
    min_post_periods: int = 8
    first_post_period: int = 0
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("higher_is_better", "lower_is_better"):
            raise InvalidOptionError(
                f"direction={self.direction!r}: use 'higher_is_better' or 'lower_is_better'."
            )
        if not self.threshold > 0 or not math.isfinite(self.threshold):
            raise InvalidOptionError("threshold is the smallest effect that matters: make it > 0.")
        if self.min_post_periods < 1:
            raise InvalidOptionError("min_post_periods must be at least 1.")

    def amount(self, value: float) -> str:
        return numbers.amount(value, self.unit)


@dataclass(frozen=True)
class VerdictResult(ResultMixin):
    """The verdict, why, and what would change it.

    ``ready_at_period`` is set for ``too_early`` (the period from which the
    evidence should suffice); ``comparators_needed`` for ``cannot_assess`` when
    more comparators would help (None when they would not: more treated units
    or another design are needed). ``below_threshold`` marks an improvement or
    worsening whose whole interval lies inside the smallest effect that matters.
    """

    verdict: Verdict
    reason: str
    estimate: float
    confint: tuple[float, float]
    mde: float
    post_periods: int
    ready_at_period: int | None
    config: VerdictConfig
    below_threshold: bool = False
    comparators_needed: int | None = None

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({
            "verdict": [self.verdict], "estimate": [self.estimate],
            "ci_low": [self.confint[0]], "ci_high": [self.confint[1]], "mde": [self.mde],
            "threshold": [self.config.threshold], "post_periods": [self.post_periods],
            "ready_at_period": [self.ready_at_period], "below_threshold": [self.below_threshold],
            "comparators_needed": [self.comparators_needed], "reason": [self.reason],
        })  # fmt: skip

    def ready_at_label(self, labels: Sequence[str] | Callable[[int], str]) -> str | None:
        return period_label(self.ready_at_period, labels)


@dataclass(frozen=True)
class IntervalReading:
    """What an interval alone says: a verdict (None when it spans both no effect and an
    effect that matters) and the clause saying why, without a capital or full stop."""

    verdict: Verdict | None
    clause: str
    below_threshold: bool = False


def read_interval(
    confint: tuple[float, float], cfg: VerdictConfig, *, level: float = 0.95
) -> IntervalReading:
    """Judge what an interval rules out, before asking whether waiting would help.

    Clear of zero: improved or worsened (noting when the whole interval is smaller
    than the smallest effect that matters). Inside ±threshold: no effect that
    matters. Otherwise it cannot decide on its own (``verdict`` None).
    """
    low, high = confint
    interval = f"the {_level(level)} interval runs from {_between(low, high, cfg)}"
    smallest = f"{cfg.amount(cfg.threshold)}, the smallest effect that matters"
    if low > 0 or high < 0:
        better = (low > 0) == (cfg.direction == "higher_is_better")
        small = -cfg.threshold < low and high < cfg.threshold
        clause = f"{interval}, clear of no effect"
        if small:
            clause += f", but wholly below {smallest}"
        return IntervalReading("improved" if better else "worsened", clause, small)
    if -cfg.threshold < low and high < cfg.threshold:
        return IntervalReading(
            "no_important_effect", f"{interval}, so any effect is smaller than {smallest}"
        )
    return IntervalReading(
        None,
        f"{interval}, which includes both no effect and effects of "
        f"{cfg.amount(cfg.threshold)} or more",
    )


def _level(level: float) -> str:
    return numbers.percent(level)


def _between(low: float, high: float, cfg: VerdictConfig) -> str:
    """'−0.65 to +2.40 percentage points', '−£92,344 to +£168,718': the unit once, after
    the second figure, unless it leads (pounds)."""
    if cfg.unit.strip().startswith("£"):
        return (
            f"{numbers.amount(low, cfg.unit, sign=True)} to "
            f"{numbers.amount(high, cfg.unit, sign=True)}"
        )
    return f"{numbers.signed(low)} to {numbers.amount(high, cfg.unit, sign=True)}"


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def verdict(
    estimate: float,
    design: PowerDesign,
    *,
    direction: Direction,
    threshold: float,
    confint: tuple[float, float] | None = None,
    min_post_periods: int = 8,
    first_post_period: int = 0,
    level: float | None = None,
    unit: str = "",
) -> VerdictResult:
    """Judge an impact estimate, separating what is known from what is not.

    * ``improved`` / ``worsened``: the interval excludes no effect (with
      ``below_threshold`` when it lies wholly inside ±``threshold``);
    * ``no_important_effect``: the interval lies inside ±``threshold`` and at
      least ``min_post_periods`` post-periods exist (effects of a change of
      ownership can take time to appear, so an early "no effect" is not trusted);
    * ``too_early``: neither, and waiting would help — fewer than
      ``min_post_periods`` post-periods, or the minimum detectable effect above
      ``threshold`` but reachable with more periods; ``ready_at_period`` says when;
    * ``cannot_assess``: neither, and no number of periods would make the design
      detect ``threshold``; the reason says how many comparators would
      (``comparators_needed``) or that more treated units are needed;
    * ``inconclusive``: enough periods and power, yet the interval spans both no
      effect and an effect that matters.

    ``confint`` is the interval to judge (after any multiplicity control), at
    ``level`` (default 1 − the design's α); without it, estimate ± the design's
    critical value × SE. ``first_post_period`` is the integer index of the first
    post-spin-out period. ``unit`` is the outcome's unit, for the reason's wording.
    """
    config = VerdictConfig(direction, threshold, min_post_periods, first_post_period, unit)
    if confint is None:
        z = design.critical_value
        confint = (estimate - z * design.standard_error(), estimate + z * design.standard_error())
    confint = (float(confint[0]), float(confint[1]))
    level = 1 - design.alpha if level is None else level
    current = design.mde() if design.post_periods >= 1 else math.inf

    def result(label: Verdict, reason: str, **extra) -> VerdictResult:
        return VerdictResult(
            label, reason, estimate, confint, current, design.post_periods,
            extra.pop("ready", None), config, **extra,
        )  # fmt: skip

    enough_periods = design.post_periods >= min_post_periods
    if not all(math.isfinite(x) for x in (estimate, *confint)):
        if not enough_periods:
            return _not_yet("there is no finite interval yet", current, design, config, result)
        return result("cannot_assess", "The estimate has no finite interval, so it says nothing.")
    reading = read_interval(confint, config, level=level)
    if reading.verdict in ("improved", "worsened") or (reading.verdict and enough_periods):
        return result(
            reading.verdict, _sentence(reading.clause), below_threshold=reading.below_threshold
        )
    if enough_periods and current <= threshold:
        return result(
            "inconclusive",
            _sentence(
                f"{reading.clause}; with {design.post_periods} post-periods the comparison "
                f"could detect {config.amount(threshold)} (it detects "
                f"{config.amount(current)}), so the estimate itself is uncertain"
            ),
        )
    if reading.verdict == "no_important_effect":  # too few periods to trust it yet
        ready = first_post_period + min_post_periods - 1
        reason = _sentence(
            f"{reading.clause}, but effects can take time to appear and there are "
            f"only {design.post_periods} of the {min_post_periods} post-periods needed"
        )
        return result("too_early", reason, ready=ready)
    return _not_yet(reading.clause, current, design, config, result)


def _not_yet(interval: str, current: float, design: PowerDesign, cfg: VerdictConfig, result):
    """Too early when more periods would let the design detect the threshold, else cannot
    assess with what would help instead."""
    needed = design.periods_needed(cfg.threshold)
    have = f"{design.post_periods} post-period{'s' if design.post_periods != 1 else ''}"
    if needed is not None:
        periods = max(needed, cfg.min_post_periods)
        ready = cfg.first_post_period + periods - 1
        if not math.isfinite(current):
            then = f"there are no post-periods yet; it should detect {cfg.amount(cfg.threshold)}"
        elif current <= cfg.threshold:
            then = (
                f"it could detect {cfg.amount(cfg.threshold)}, but effects can take time to "
                f"appear and there are only {design.post_periods} of the "
                f"{cfg.min_post_periods} post-periods needed; it should be assessable"
            )
        else:
            then = (
                f"it detects {cfg.amount(current)} with {have} and should detect "
                f"{cfg.amount(cfg.threshold)}"
            )
        reason = _sentence(f"{interval}; {then} after {periods} post-periods")
        return result("too_early", reason, ready=ready)
    wanted = design.comparators_needed(
        cfg.threshold, max(design.post_periods, cfg.min_post_periods)
    )
    if wanted is not None:
        more = f"about {wanted:,} comparators instead of {design.n_control:,} would"
    else:
        more = (
            f"even unlimited comparators would not with only {design.n_treated} treated "
            f"unit{'s' if design.n_treated != 1 else ''}: pooling cohorts, more treated "
            "providers or another design would"
        )
    reason = (
        f"{interval[0].upper()}{interval[1:]}; however long it runs, this "
        f"comparison cannot detect {cfg.amount(cfg.threshold)} (with {have} it detects "
        f"{cfg.amount(current)}); {more}."
    )
    return result("cannot_assess", reason, comparators_needed=wanted)


def placebo_verdict(
    estimate: float,
    confint: tuple[float, float] | None,
    *,
    p_value: float | None,
    donors: int,
    direction: Direction,
    threshold: float,
    post_periods: int,
    alpha: float = 0.05,
    level: float | None = None,
    min_post_periods: int = 8,
    first_post_period: int = 0,
    unit: str = "",
    tests: int = 1,
) -> VerdictResult:
    """Judge a synthetic-control estimate from its placebo test.

    With ``donors`` comparators the smallest p-value a placebo test can give is
    1 / (donors + 1); when that is above the level the test is judged at (``alpha``,
    or 1 − ``level`` after a multiplicity control over ``tests`` tests) no effect can
    ever be found and the verdict is ``cannot_assess``, saying how many comparators
    are needed.
    Otherwise the interval from inverting the test (``confint``, at ``level`` after
    any multiplicity control; None or infinite when it cannot be bounded) is read as
    in :func:`verdict`; ``p_value`` is the test at that same level, used when the
    interval cannot be given. There is no minimum detectable effect: waiting helps
    only while fewer than ``min_post_periods`` post-periods exist.
    """
    config = VerdictConfig(direction, threshold, min_post_periods, first_post_period, unit)
    level = 1 - alpha if level is None else level

    def result(label: Verdict, reason: str, **extra) -> VerdictResult:
        interval = confint if confint is not None else (math.nan, math.nan)
        return VerdictResult(
            label, reason, estimate, interval, math.inf, post_periods,
            extra.pop("ready", None), config, **extra,
        )  # fmt: skip

    smallest_p = 1 / (donors + 1)
    judged_at = 1 - level
    if smallest_p > judged_at * (1 + 1e-9):
        needed = math.ceil(1 / judged_at - 1 - 1e-9)
        where = f"the {_level(judged_at)} level"
        if tests > 1:
            where = (
                f"the {_level(judged_at)} level a finding needs after allowing for the "
                f"{tests} tests of this run"
            )
        return result(
            "cannot_assess",
            f"With {donors} comparator{'s' if donors != 1 else ''} the smallest "
            f"p-value a placebo test can give is 1 in {donors + 1} "
            f"({numbers.p_value(smallest_p)}), above {where}, so no effect could be found "
            f"whatever the data; at least {needed:,} comparators are needed.",
            comparators_needed=needed,
        )
    if confint is not None and all(math.isfinite(x) for x in confint):
        reading = read_interval(confint, config, level=level)
    elif p_value is not None and p_value <= 1 - level:
        better = (estimate > 0) == (direction == "higher_is_better")
        clause = (
            f"the placebo test finds the gap of {config.amount(estimate)} larger than nearly "
            "all comparators' (p = " + numbers.p_value(p_value) + "), though it varies too "
            "much over time for an interval"
        )
        reading = IntervalReading("improved" if better else "worsened", clause)
    else:
        reading = IntervalReading(
            None,
            "the placebo test cannot bound the effect: gaps as large are common among comparators",
        )
    enough_periods = post_periods >= min_post_periods
    if reading.verdict in ("improved", "worsened") or (reading.verdict and enough_periods):
        return result(
            reading.verdict, _sentence(reading.clause), below_threshold=reading.below_threshold
        )
    if not enough_periods:
        return result(
            "too_early",
            _sentence(
                f"{reading.clause}; there are {post_periods} of the {min_post_periods} "
                "post-periods needed"
            ),
            ready=first_post_period + min_post_periods - 1,
        )
    return result("inconclusive", _sentence(reading.clause))


def period_label(index: int | None, labels: Sequence[str] | Callable[[int], str]) -> str | None:
    """Name a period index with a list of labels or a function (None stays None)."""
    if index is None:
        return None
    if callable(labels):
        return labels(index)
    if not 0 <= index < len(labels):
        raise InvalidOptionError(f"Period {index} is beyond the {len(labels)} labels given.")
    return labels[index]


def quarter_labels(start: str) -> Callable[[int], str]:
    """Labels such as "2013-Q2" for period indices, index 0 being ``start``."""
    try:
        year, quarter = start.split("-Q")
        origin = int(year) * 4 + int(quarter) - 1
    except ValueError as exc:
        raise InvalidOptionError(f"start={start!r}: write quarters as '2011-Q2'.") from exc

    def label(index: int) -> str:
        y, q = divmod(origin + index, 4)
        return f"{y}-Q{q + 1}"

    return label
