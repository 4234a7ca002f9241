"""Minimum detectable effect and the "too early to assess" verdict.

The NAO judged it "too early to assess" the Right to Request enterprises.
Mutuals makes that judgement explicit: an impact estimate is only read as
evidence once enough post-spin-out periods exist *and* the design could
detect an effect of the size that matters; until then the verdict is
``too_early`` and states the period at which that will change.

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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import polars as pl
from scipy import stats

from mutuals.engine._results import ResultMixin
from mutuals.engine.errors import InvalidOptionError

Direction = Literal["higher_is_better", "lower_is_better"]
Verdict = Literal["too_early", "no_detectable_effect", "improved", "worsened"]
MAX_PROJECTED_PERIODS = 400


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

    def __post_init__(self) -> None:
        if self.direction not in ("higher_is_better", "lower_is_better"):
            raise InvalidOptionError(
                f"direction={self.direction!r}: use 'higher_is_better' or 'lower_is_better'."
            )
        if self.threshold <= 0:
            raise InvalidOptionError("threshold is the smallest effect that matters: make it > 0.")
        if self.min_post_periods < 1:
            raise InvalidOptionError("min_post_periods must be at least 1.")


@dataclass(frozen=True)
class VerdictResult(ResultMixin):
    """The verdict, why, and (when too early) the period evidence will suffice."""

    verdict: Verdict
    reason: str
    estimate: float
    confint: tuple[float, float]
    mde: float
    post_periods: int
    ready_at_period: int | None
    config: VerdictConfig

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({
            "verdict": [self.verdict], "estimate": [self.estimate],
            "ci_low": [self.confint[0]], "ci_high": [self.confint[1]], "mde": [self.mde],
            "threshold": [self.config.threshold], "post_periods": [self.post_periods],
            "ready_at_period": [self.ready_at_period], "reason": [self.reason],
        })  # fmt: skip

    def ready_at_label(self, labels: Sequence[str] | Callable[[int], str]) -> str | None:
        return period_label(self.ready_at_period, labels)


def verdict(
    estimate: float,
    design: PowerDesign,
    *,
    direction: Direction,
    threshold: float,
    confint: tuple[float, float] | None = None,
    min_post_periods: int = 8,
    first_post_period: int = 0,
) -> VerdictResult:
    """Judge an impact estimate: too_early / no_detectable_effect / improved / worsened.

    Too early while fewer than ``min_post_periods`` post-periods exist or the
    MDE exceeds ``threshold`` (the smallest effect that matters, in outcome
    units). Otherwise a confidence interval (given, or estimate ± the
    design's critical value × SE) that excludes 0 is improved or worsened according to
    ``direction``. ``first_post_period`` is the integer index of the first
    post-spin-out period, used to state when the evidence will suffice.
    """
    config = VerdictConfig(direction, threshold, min_post_periods, first_post_period)
    if confint is None:
        z = design.critical_value
        confint = (estimate - z * design.standard_error(), estimate + z * design.standard_error())
    current = design.mde() if design.post_periods >= 1 else math.inf
    too_few = design.post_periods < min_post_periods
    if too_few or current > threshold:
        return _too_early(estimate, tuple(confint), current, design, config)
    low, high = confint
    if low <= 0 <= high:
        label: Verdict = "no_detectable_effect"
        reason = f"The {100 * (1 - design.alpha):.0f}% confidence interval includes no effect."
    else:
        better = (low > 0) == (direction == "higher_is_better")
        label = "improved" if better else "worsened"
        reason = f"The confidence interval ({low:.3g}, {high:.3g}) excludes no effect."
    return VerdictResult(
        label, reason, estimate, tuple(confint), current, design.post_periods, None, config
    )


def _too_early(
    estimate: float,
    confint: tuple[float, float],
    current: float,
    design: PowerDesign,
    cfg: VerdictConfig,
) -> VerdictResult:
    needed = design.periods_needed(cfg.threshold)
    have = f"{design.post_periods} post-period(s)"
    if needed is None:
        reason = (
            f"Too early to assess with {have}: even with many more periods this comparison "
            f"cannot detect an effect of {cfg.threshold:g}; more comparable units are needed."
        )
        ready = None
    else:
        periods = max(needed, cfg.min_post_periods)
        ready = cfg.first_post_period + periods - 1
        reason = (
            f"Too early to assess with {have} (minimum detectable effect {current:.3g}, "
            f"threshold {cfg.threshold:g}); evidence should suffice after {periods} post-periods."
        )
    return VerdictResult(
        "too_early", reason, estimate, confint, current, design.post_periods, ready, cfg
    )


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
