"""Multiplicity control for a family of tests: how many "findings" chance alone makes.

An evaluation run judges every programme × cohort × metric and every single
provider × metric; at 5% each, a run of a hundred tests would show about five
"effects" even if nothing had any. The run's family of tests is controlled
with the Benjamini–Hochberg procedure, which keeps the expected share of false
findings among those reported at or below α (the false discovery rate), with
statsmodels' implementation (``multipletests(method="fdr_bh")``).

Some tests are discrete: a placebo test with J comparators can give no p-value
below 1 / (J + 1). Counting a test that could never be a finding only makes
every other test pay for it, so, following Tarone (1990, "A modified
Bonferroni method for discrete data", Biometrics 46(2)) as Gilbert (2005,
"A modified false discovery rate multiple-comparisons procedure for discrete
data", JRSS C 54(1)) does for Benjamini–Hochberg, the tests counted are those
whose smallest attainable p-value is at most α / K, for the smallest K such
that no more than K tests qualify. Tests left out are not findings, whatever
their p-value; continuous tests (smallest p-value 0) always count.

Intervals follow Benjamini and Yekutieli (2005, "False discovery rate–adjusted
multiple confidence intervals for selected parameters", JASA 100(469)): with R
of m counted tests rejected, every interval is built at level 1 − R α / m
(1 − α / m when none is). An interval then excludes zero exactly when its
test is among the rejected, so a page never shows a clear interval beside a
verdict that says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from mutuals.engine._results import ResultMixin
from mutuals.engine.errors import InvalidOptionError

Method = Literal["benjamini_hochberg"]
METHOD_NAMES = {"benjamini_hochberg": "Benjamini–Hochberg"}


@dataclass(frozen=True)
class MultiplicityResult(ResultMixin):
    """Which tests count, their adjusted p-values, which are findings, and the levels.

    ``adjusted`` and ``rejected`` cover every test given (NaN and False for those not
    counted). ``counting_alpha`` is α / K: a test counts when it can reach it.
    ``interval_alpha`` is the per-test level for intervals.
    """

    method: Method
    alpha: float
    p_values: np.ndarray
    counted: np.ndarray
    adjusted: np.ndarray
    rejected: np.ndarray
    counting_alpha: float
    interval_alpha: float

    @property
    def tests(self) -> int:
        """Tests counted in the control."""
        return int(self.counted.sum())

    @property
    def not_counted(self) -> int:
        return len(self.p_values) - self.tests

    @property
    def findings(self) -> int:
        return int(self.rejected.sum())

    @property
    def expected_by_chance(self) -> float:
        """Findings expected at level α among the counted tests if none had any effect and
        nothing were adjusted."""
        return self.alpha * self.tests

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "p_value": self.p_values,
                "counted": self.counted,
                "adjusted": self.adjusted,
                "rejected": self.rejected,
            }
        )


def counting_bound(smallest_p: np.ndarray, alpha: float) -> float:
    """Tarone's α / K: K the smallest count such that at most K tests can reach α / K."""
    n = len(smallest_p)
    for k in range(1, n + 1):
        if np.count_nonzero(smallest_p <= alpha / k * (1 + 1e-9)) <= k:
            return alpha / k
    return alpha / max(n, 1)


def control(
    p_values,
    *,
    smallest_p=None,
    alpha: float = 0.05,
    method: Method = "benjamini_hochberg",
) -> MultiplicityResult:
    """Adjust a family of p-values (see the module docstring). ``smallest_p`` gives each
    test's smallest attainable p-value (default 0: continuous tests)."""
    if method not in METHOD_NAMES:
        raise InvalidOptionError(f"method={method!r}: use one of {', '.join(METHOD_NAMES)}.")
    if not 0 < alpha < 1:
        raise InvalidOptionError(f"alpha must be between 0 and 1; got {alpha!r}")
    p = _probabilities(p_values, "p-values")
    floor = np.zeros_like(p) if smallest_p is None else _probabilities(smallest_p, "smallest_p")
    if floor.shape != p.shape:
        raise InvalidOptionError("Give one smallest attainable p-value per test.")
    bound = counting_bound(floor, alpha)
    counted = floor <= bound * (1 + 1e-9)
    adjusted = np.full(p.shape, np.nan)
    rejected = np.zeros(p.shape, dtype=bool)
    if counted.any():
        from statsmodels.stats.multitest import multipletests

        hits, adjusted_counted, _, _ = multipletests(p[counted], alpha=alpha, method="fdr_bh")
        adjusted[counted] = adjusted_counted
        rejected[counted] = hits
    m = int(counted.sum())
    level = max(int(rejected.sum()), 1) * alpha / max(m, 1)
    return MultiplicityResult(method, alpha, p, counted, adjusted, rejected, bound, level)


def _probabilities(values, name: str) -> np.ndarray:
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    if array.size and not (np.isfinite(array).all() and (array >= 0).all() and (array <= 1).all()):
        raise InvalidOptionError(f"{name} must be numbers from 0 to 1.")
    return array
