"""Influence-function aggregations of ATT(g,t) that diff-diff does not report.

diff-diff 3.13 reports ATT(g,t), the simple ATT, event-time and cohort
effects. Callaway & Sant'Anna (2021) and R ``did`` also report the overall
cohort ATT, calendar-period effects and their overall average, and a joint
pre-test. All are linear in the ATT(g,t), so their standard errors follow from
the per-unit influence functions of the cells, which diff-diff keeps on its
aggregation kit. We follow R ``did::aggte``: where the weights are estimated
cohort shares (every aggregate but the per-cohort effects) the estimation
error of the weights is added to the influence function (R's ``wif``).

Scaling: ``psi`` holds diff-diff's influence functions, one row per unit and
one column per cell, scaled so that ``se = sqrt(sum(psi**2))``.

Every aggregate is written as a recipe (``Linear``): weights on the cells
plus the weights' influence, which depends on a unit only through its cohort.
The influence functions of all aggregates then come from one matrix product
(``influence``), and the multiplier bootstrap perturbs the cells once and
applies the recipes to their draws, rather than perturbing each aggregate's
influence function over all units again. A cell's influence function is zero
outside its treated and comparison units, so the bootstrap's products over
units are summed cohort by cohort over the cells each cohort touches
(``CohortBlocks``); with never-treated comparisons a treated cohort touches
only its own cells, which skips two thirds of the arithmetic on a national
panel (5,000 units, 376 cells).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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

    @cached_property
    def cohorts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct unit cohorts (never treated included), each unit's position
        among them, and their sizes."""
        return np.unique(self.unit_cohort, return_inverse=True, return_counts=True)

    @cached_property
    def blocks(self) -> CohortBlocks:
        return CohortBlocks.build(self)

    def cohort_share(self, cohorts: np.ndarray) -> np.ndarray:
        """Share of all units in each cohort (R ``did``'s ``pg``)."""
        position, found = self.cohort_position(cohorts)
        sizes = self.cohorts[2]
        return np.where(found, sizes[position], 0) / self.n_units

    def cohort_position(self, cohorts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position of each of ``cohorts`` among the unit cohorts, and whether it is one."""
        distinct = self.cohorts[0]
        position = np.minimum(np.searchsorted(distinct, cohorts), len(distinct) - 1)
        return position, distinct[position] == cohorts


@dataclass(frozen=True)
class CohortBlocks:
    """The units grouped by cohort, and the cells each group's influence touches.

    ``order`` lists the units cohort by cohort (cohort k starts at position
    ``starts[k]``); ``columns[k]`` are the cells in which some unit of cohort k
    has non-zero influence, and ``psi[k]`` is that cohort's influence on them
    (a contiguous copy) with a last column of ones, which sums the cohort's
    multipliers in the same product.
    """

    order: np.ndarray
    starts: np.ndarray
    columns: list[np.ndarray]
    psi: list[np.ndarray]

    @classmethod
    def build(cls, cells: Cells) -> CohortBlocks:
        _, position, sizes = cells.cohorts
        order = np.argsort(position, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)])
        columns, psi = [], []
        for lo, hi in zip(starts[:-1], starts[1:], strict=True):
            rows = cells.psi[order[lo:hi]]
            touched = np.flatnonzero(np.any(rows != 0, axis=0))
            columns.append(touched)
            psi.append(np.hstack([rows[:, touched], np.ones((hi - lo, 1))]))
        return cls(order=order, starts=starts[:-1], columns=columns, psi=psi)

    def signed_sums(self, signs: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
        """``signs @ psi`` and each cohort's sum of ``signs``, for ``signs`` with one
        column per unit in ``order``'s order."""
        cell_sums = np.zeros((signs.shape[0], n_cells))
        cohort_sums = np.empty((signs.shape[0], len(self.starts)))
        ends = [*self.starts[1:], signs.shape[1]]
        blocks = zip(self.starts, ends, self.columns, self.psi, strict=True)
        for k, (lo, hi, cols, block) in enumerate(blocks):
            product = signs[:, lo:hi] @ block
            cell_sums[:, cols] += product[:, :-1]
            cohort_sums[:, k] = product[:, -1]
        return cell_sums, cohort_sums


@dataclass(frozen=True)
class Linear:
    """Effects that are linear in the cells, as recipes (see the module docstring).

    Column j: ``psi[:, j] = cells.psi @ cell_weights[:, j] + cohort_terms[c, j]``
    for a unit of cohort c (position in ``Cells.cohorts``); ``influence`` computes it.
    """

    att: np.ndarray  # (m,)
    cell_weights: np.ndarray  # (n_cells, m)
    cohort_terms: np.ndarray  # (n_cohorts, m)

    @classmethod
    def of(cls, effects: list[tuple[float, np.ndarray, np.ndarray]]) -> Linear:
        """Effects given as (att, cell weights, cohort terms)."""
        return cls(
            att=np.array([float(e[0]) for e in effects]),
            cell_weights=np.column_stack([e[1] for e in effects]),
            cohort_terms=np.column_stack([e[2] for e in effects]),
        )

    @classmethod
    def concat(cls, parts: list[Linear]) -> Linear:
        return cls(
            att=np.concatenate([p.att for p in parts]),
            cell_weights=np.hstack([p.cell_weights for p in parts]),
            cohort_terms=np.hstack([p.cohort_terms for p in parts]),
        )

    def mean(self, which: np.ndarray | slice = slice(None)) -> Linear:
        """The equally weighted average of the selected effects, as one effect."""
        return Linear(
            att=np.array([float(self.att[which].mean())]),
            cell_weights=self.cell_weights[:, which].mean(axis=1, keepdims=True),
            cohort_terms=self.cohort_terms[:, which].mean(axis=1, keepdims=True),
        )


def influence(cells: Cells, effects: Linear) -> np.ndarray:
    """The effects' influence functions (n_units, m), in one matrix product."""
    return cells.psi @ effects.cell_weights + effects.cohort_terms[cells.cohorts[1]]


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


def _weight_influence(cells: Cells, cohorts: np.ndarray, effects: np.ndarray) -> np.ndarray:
    """R ``did``'s ``wif @ effects / n`` for cohort-share weights over ``cohorts``, one
    value per unit cohort (it depends on a unit only through its cohort).

    With pg the shares and P = pg @ effects, a unit of cohort c gets
    ((E_c - P) / sum(pg) - (K_c - sum(pg)) P / sum(pg)^2) / n, where E_c sums the
    effects and K_c counts the columns whose cohort is c.
    """
    pg = cells.cohort_share(cohorts)
    total, mean = pg.sum(), pg @ effects
    position, found = cells.cohort_position(cohorts)
    n_cohorts = len(cells.cohorts[0])
    sums = np.bincount(position[found], weights=effects[found], minlength=n_cohorts)
    counts = np.bincount(position[found], minlength=n_cohorts)
    return ((sums - mean) / total - (counts - total) * mean / total**2) / cells.n_units


def cohorts_with_post_cells(cells: Cells) -> np.ndarray:
    """Cohorts with at least one post-treatment cell: those that have a cohort effect.

    A cohort whose cells are all pre-treatment (treated after the last period,
    or every post-treatment cell unestimable) has nothing to average; R
    ``did::aggte`` leaves such groups out of the cohort aggregation
    (``na.rm = TRUE``) instead of letting a NaN spread into the overall.
    """
    return np.unique(cells.group[cells.time >= cells.group])


def cohort_effects(cells: Cells, cohorts) -> Linear:
    """Per-cohort average of its post-treatment cells (equal weights).

    Every cohort passed must have a post-treatment cell (``cohorts_with_post_cells``).
    """
    no_terms = np.zeros(len(cells.cohorts[0]))
    effects = []
    for g in cohorts:
        post = (cells.group == g) & (cells.time >= g)
        effects.append((cells.att[post].mean(), post / post.sum(), no_terms))
    return Linear.of(effects)


def overall_cohort(cells: Cells, groups: Linear, cohorts) -> Linear:
    """Overall cohort ATT: cohort effects weighted by cohort size."""
    cohorts = np.asarray(cohorts)
    pg = cells.cohort_share(cohorts)
    weights = pg / pg.sum()
    effect = (
        groups.att @ weights,
        groups.cell_weights @ weights,
        _weight_influence(cells, cohorts, groups.att),
    )
    return Linear.of([effect])


def share_weighted(cells: Cells, which: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Cohort-share weighted mean of the selected cells (a boolean mask): the effect,
    its weight on every cell, and its cohort terms.

    Includes the influence of estimating the shares, as R ``did`` does for
    event-time and calendar effects.
    """
    cohorts = cells.group[which]
    pg = cells.cohort_share(cohorts)
    weights = np.zeros(len(cells.att))
    weights[which] = pg / pg.sum()
    influence = _weight_influence(cells, cohorts, cells.att[which])
    return cells.att[which] @ weights[which], weights, influence


def calendar_effects(cells: Cells) -> tuple[np.ndarray, Linear]:
    """Per-period average of treated cells, weighted by cohort size (R ``did``)."""
    periods = np.unique(cells.time[cells.time >= cells.group.min()])
    keep, effects = [], []
    for t in periods:
        which = (cells.time == t) & (cells.group <= t)
        if not which.any():
            continue
        keep.append(t)
        effects.append(share_weighted(cells, which))
    return np.array(keep), Linear.of(effects)


def analytic_se(psi: np.ndarray) -> np.ndarray:
    """Standard errors from influence functions (columns)."""
    psi = np.atleast_2d(psi.T).T
    return np.sqrt(np.einsum("ij,ij->j", psi, psi))


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


def cells_vcov(cells: Cells, which: np.ndarray) -> np.ndarray:
    """Influence-function covariance ``psi.T @ psi`` of the cells in the mask ``which``."""
    psi = cells.psi[:, which]
    return psi.T @ psi


def bootstrap_draws(
    cells: Cells, built: Linear, n_draws: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Rademacher multiplier bootstrap deviations of the cells and of effects built from
    them, shapes (n_draws, n_cells) and (n_draws, m).

    Each draw multiplies every unit's influence by +1 or -1: the cells' deviations
    are the signed sums of their influence functions, and an effect's are its
    weighted sum of those plus its cohort terms weighted by each cohort's sum of
    signs (see the module docstring); equal, up to rounding, to the signed sums
    of the effect's own influence function. Draws are generated in blocks so
    memory stays bounded for large panels (the same blocks, and so the same
    draws, for a given seed as before this was restructured).
    """
    rng = np.random.default_rng(seed)
    n_units, n_cells = cells.psi.shape
    blocks = cells.blocks
    block = max(1, min(n_draws, 2_000_000 // max(n_units, 1)))
    cell_draws = np.empty((n_draws, n_cells))
    cohort_sums = np.empty((n_draws, len(blocks.starts)))
    buffer = np.empty((block, n_units))
    for start in range(0, n_draws, block):
        stop = min(n_draws, start + block)
        xi = rng.integers(0, 2, size=(stop - start, n_units), dtype=np.int8)
        signs = buffer[: stop - start]
        signs[...] = xi[:, blocks.order]
        signs *= 2.0
        signs -= 1.0
        cell_draws[start:stop], cohort_sums[start:stop] = blocks.signed_sums(signs, n_cells)
    recipe = np.vstack([built.cell_weights, built.cohort_terms])
    return cell_draws, np.hstack([cell_draws, cohort_sums]) @ recipe


def sup_t_critical(draws: np.ndarray, se: np.ndarray, alpha: float) -> float:
    """Critical value of the uniform (sup-t) band over a family of effects."""
    safe = np.where(se > 0, se, np.inf)
    sup_t = np.max(np.abs(draws) / safe, axis=1)
    return float(np.quantile(sup_t, 1 - alpha))
