"""Influence-function aggregations of ATT(g,t) that diff-diff does not report.

diff-diff 3.13 reports ATT(g,t), the simple ATT, event-time and cohort
effects. Callaway & Sant'Anna (2021) and R ``did`` also report the overall
cohort ATT, calendar-period effects and their overall average, and a joint
pre-test. All are linear in the ATT(g,t), so their standard errors follow from
the per-unit influence functions of the cells, which diff-diff keeps on its
aggregation kit. We follow R ``did::aggte``: where the weights are estimated
cohort shares (the overall cohort ATT) the estimation error of the weights is
added to the influence function (``_weight_influence``).

Scaling: ``psi`` holds diff-diff's influence functions, one row per unit and
one column per cell, scaled so that ``se = sqrt(sum(psi**2))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Cells:
    """The estimable ATT(g,t) cells with their influence functions."""

    group: np.ndarray  # cohort of each cell
    time: np.ndarray  # period of each cell
    att: np.ndarray
    psi: np.ndarray  # (n_units, n_cells)
    unit_cohort: np.ndarray  # cohort of each unit (0 = never treated)

    @property
    def n_units(self) -> int:
        return self.psi.shape[0]

    def cohort_share(self, cohorts: np.ndarray) -> np.ndarray:
        """Share of all units in each cohort (R ``did``'s ``pg``)."""
        return np.array([np.mean(self.unit_cohort == g) for g in cohorts])


def cells_from_kit(results, keys: list[tuple]) -> Cells:
    """Build a dense influence-function matrix from diff-diff's kit."""
    kit = results._aggregation_kit  # diff-diff 3.13, pinned in pyproject
    n_units = len(kit.bookkeeping["all_units"])
    psi = np.zeros((n_units, len(keys)))
    for j, key in enumerate(keys):
        cell = kit.influence[key]
        psi[cell["treated_idx"], j] += cell["treated_inf"]
        psi[cell["control_idx"], j] += cell["control_inf"]
    effects = results.group_time_effects
    return Cells(
        group=np.array([k[0] for k in keys]),
        time=np.array([k[1] for k in keys]),
        att=np.array([effects[k]["effect"] for k in keys]),
        psi=psi,
        unit_cohort=np.asarray(kit.bookkeeping["unit_cohorts"]),
    )


def _weight_influence(cells: Cells, cohorts: np.ndarray) -> np.ndarray:
    """Influence of estimating cohort-share weights (R ``did``'s ``wif``), R scale."""
    pg = cells.cohort_share(cohorts)
    total = pg.sum()
    member = (cells.unit_cohort[:, None] == cohorts[None, :]).astype(float)
    if1 = (member - pg) / total
    if2 = (member - pg).sum(axis=1, keepdims=True) * (pg / total**2)[None, :]
    return if1 - if2


def overall_cohort(
    cells: Cells, group_att: np.ndarray, group_psi: np.ndarray, cohorts
) -> tuple[float, np.ndarray]:
    """Overall cohort ATT: cohort effects weighted by cohort size."""
    cohorts = np.asarray(cohorts)
    pg = cells.cohort_share(cohorts)
    weights = pg / pg.sum()
    att = float(group_att @ weights)
    psi = group_psi @ weights + _weight_influence(cells, cohorts) @ group_att / cells.n_units
    return att, psi


def cohorts_with_post_cells(cells: Cells) -> np.ndarray:
    """Cohorts with at least one post-treatment cell: those that have a cohort effect.

    A cohort whose cells are all pre-treatment (treated after the last period,
    or every post-treatment cell unestimable) has nothing to average; R
    ``did::aggte`` leaves such groups out of the cohort aggregation
    (``na.rm = TRUE``) instead of letting a NaN spread into the overall.
    """
    return np.unique(cells.group[cells.time >= cells.group])


def cohort_effects(cells: Cells, cohorts) -> tuple[np.ndarray, np.ndarray]:
    """Per-cohort average of its post-treatment cells (equal weights).

    Every cohort passed must have a post-treatment cell (``cohorts_with_post_cells``).
    """
    att, psi = [], []
    for g in cohorts:
        post = (cells.group == g) & (cells.time >= g)
        att.append(cells.att[post].mean())
        psi.append(cells.psi[:, post].mean(axis=1))
    return np.array(att), np.column_stack(psi)


def share_weighted(cells: Cells, which: np.ndarray) -> tuple[float, np.ndarray]:
    """Cohort-share weighted mean of the selected cells and its influence function.

    Includes the influence of estimating the shares, as R ``did`` does for
    event-time and calendar effects.
    """
    cohorts = cells.group[which]
    pg = cells.cohort_share(cohorts)
    weights = pg / pg.sum()
    wif = _weight_influence(cells, cohorts)
    psi = cells.psi[:, which] @ weights + wif @ cells.att[which] / cells.n_units
    return float(cells.att[which] @ weights), psi


def calendar_effects(cells: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-period average of treated cells, weighted by cohort size (R ``did``)."""
    periods = np.unique(cells.time[cells.time >= cells.group.min()])
    keep, att, psi = [], [], []
    for t in periods:
        which = (cells.time == t) & (cells.group <= t)
        if not which.any():
            continue
        effect, influence = share_weighted(cells, which)
        keep.append(t)
        att.append(effect)
        psi.append(influence)
    return np.array(keep), np.array(att), np.column_stack(psi)


def analytic_se(psi: np.ndarray) -> np.ndarray:
    """Standard errors from influence functions (columns)."""
    return np.sqrt(np.sum(np.atleast_2d(psi.T).T ** 2, axis=0))


def small_sample_se(psi: np.ndarray, unit_cohort: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors corrected for small cohorts, and their degrees of freedom.

    The analytic variance sums the squared influence of every unit, which is
    each cohort's sample variance with divisor n rather than n - 1: with three
    or four spin-outs in a cohort it is too small by a third or a quarter, and
    a normal critical value ignores how little that variance is known. Here
    each cohort's share of the variance (never-treated units are one more
    cohort) is multiplied by n_c / (n_c - 1), and the degrees of freedom come
    from the Welch-Satterthwaite formula over the cohorts,

        df = (sum_c V_c)^2 / sum_c (V_c^2 / (n_c - 1)).

    Without covariates and with never-treated comparators an ATT(g,t) or a
    cohort effect is a difference of two means of unit-level changes, and
    this is exactly Welch's unequal-variance t-test; for the other effects it
    is the same approximation applied to their influence functions. A cohort
    of one unit has no spread of its own to estimate: its contribution is
    left as it is and adds nothing to the degrees of freedom (as with the
    uncorrected SE, a single treated unit's own noise is not measured).
    Columns of ``psi`` are effects; returns (se, df), df infinite when the
    variance is zero.
    """
    psi = np.atleast_2d(psi.T).T
    cohorts, sizes = np.unique(unit_cohort, return_counts=True)
    parts = np.zeros((len(cohorts), psi.shape[1]))
    for k, (cohort, n) in enumerate(zip(cohorts, sizes, strict=True)):
        scale = n / (n - 1) if n > 1 else 1.0
        parts[k] = scale * np.sum(psi[unit_cohort == cohort] ** 2, axis=0)
    total = parts.sum(axis=0)
    several = sizes > 1
    spread = np.sum(parts[several] ** 2 / (sizes[several, None] - 1), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(spread > 0, total**2 / spread, np.inf)
    return np.sqrt(total), df


def wald_test(estimates: np.ndarray, vcov: np.ndarray) -> tuple[float, int, float]:
    """Wald chi-squared test that all ``estimates`` are zero."""
    k = len(estimates)
    if k == 0:
        return float("nan"), 0, float("nan")
    stat = float(estimates @ np.linalg.pinv(vcov) @ estimates)
    return stat, k, float(stats.chi2.sf(stat, k))


def bootstrap_draws(psi: np.ndarray, n_draws: int, seed: int | None) -> np.ndarray:
    """Rademacher multiplier bootstrap deviations, shape (n_draws, n_effects).

    Draws are generated in blocks so memory stays bounded for large panels.
    """
    rng = np.random.default_rng(seed)
    block = max(1, min(n_draws, 2_000_000 // max(psi.shape[0], 1)))
    out = np.empty((n_draws, psi.shape[1]))
    for start in range(0, n_draws, block):
        stop = min(n_draws, start + block)
        xi = rng.integers(0, 2, size=(stop - start, psi.shape[0]), dtype=np.int8)
        out[start:stop] = (2.0 * xi - 1.0) @ psi
    return out


def sup_t_critical(draws: np.ndarray, se: np.ndarray, alpha: float) -> float:
    """Critical value of the uniform (sup-t) band over a family of effects."""
    safe = np.where(se > 0, se, np.inf)
    sup_t = np.max(np.abs(draws) / safe, axis=1)
    return float(np.quantile(sup_t, 1 - alpha))
