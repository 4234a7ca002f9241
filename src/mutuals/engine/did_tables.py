"""Aggregate ATT(g,t) cells into the tables a DiD result reports.

Every reported effect is linear in the cells, so each gets an influence
function (see ``did_aggregate``); analytic standard errors are the root sum of
squares, and the multiplier bootstrap perturbs all of them with the same
draws, so uniform (sup-t) bands come out per family of effects.

The aggregates are first written as recipes over the cells (``agg.Linear``)
and their influence functions then computed in one matrix product: on a busy
machine each multi-threaded BLAS call can wait milliseconds for a descheduled
thread, so a hundred small products (one per effect) cost far more than one.

With ``small_sample`` the analytic standard errors get the per-cohort
correction of ``did_aggregate.small_sample_se`` and every interval uses a
Student t critical value with that effect's Welch-Satterthwaite degrees of
freedom; otherwise ``df`` is infinite and the critical value is the normal one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from mutuals.engine import did_aggregate as agg


@dataclass(frozen=True)
class Family:
    """A family of effects (one table) with their influence functions."""

    key: str
    labels: np.ndarray
    att: np.ndarray
    psi: np.ndarray  # (n_units, len(att))


@dataclass(frozen=True)
class Tables:
    att_gt: pl.DataFrame
    dynamic: pl.DataFrame
    group: pl.DataFrame
    calendar: pl.DataFrame
    overall: dict[str, tuple[float, float, float]]  # att, se, df of simple, dynamic, ...
    band_critical_value: float | None
    pretrend_vcov: np.ndarray  # influence-function covariance of the e < 0 effects


@dataclass(frozen=True)
class _Aggregates:
    """Every effect built from the cells, as one ``Linear``, in table order: event
    times, cohorts, calendar periods, then the four overall effects."""

    labels: dict[str, np.ndarray]  # e, g, t
    built: agg.Linear
    overall: tuple[str, ...] = ("simple", "dynamic", "group", "calendar")


def _aggregates(cells: agg.Cells) -> _Aggregates:
    event = cells.time - cells.group
    e_values = np.unique(event)
    dynamic = agg.Linear.of([agg.share_weighted(cells, event == e) for e in e_values])
    cohorts = agg.cohorts_with_post_cells(cells)
    groups = agg.cohort_effects(cells, cohorts)
    periods, calendar = agg.calendar_effects(cells)
    overall = [
        agg.Linear.of([agg.share_weighted(cells, cells.time >= cells.group)]),
        dynamic.mean(e_values >= 0),
        agg.overall_cohort(cells, groups, cohorts),
        calendar.mean(),
    ]
    built = agg.Linear.concat([dynamic, groups, calendar, *overall])
    return _Aggregates({"e": e_values, "g": cohorts, "t": periods}, built)


def _families(cells: agg.Cells) -> tuple[list[Family], list[tuple[str, Family]], agg.Linear]:
    """The four tables' families and the overall effects, with influence functions."""
    aggregates = _aggregates(cells)
    built = aggregates.built
    psi = agg.influence(cells, built)
    families = [Family("cell", np.arange(len(cells.att)), cells.att, cells.psi)]
    start = 0
    for key, labels in aggregates.labels.items():
        rows = slice(start, start + len(labels))
        families.append(Family(key, labels, built.att[rows], psi[:, rows]))
        start = rows.stop
    overall = [
        (name, Family(name, np.array([name]), built.att[i : i + 1], psi[:, i : i + 1]))
        for i, name in enumerate(aggregates.overall, start=start)
    ]
    return families, overall, built


def _inference(families, overall, built: agg.Linear, config, cells: agg.Cells):
    """Standard errors and degrees of freedom of every family and overall effect,
    and the sup-t critical values of each family when bootstrapped."""
    parts = [f.psi for f in families] + [o.psi for _, o in overall]
    if not config.bootstrap:
        if config.small_sample:
            corrected = [agg.small_sample_se(psi, cells.unit_cohort) for psi in parts]
            se = np.concatenate([c[0] for c in corrected])
            return se, np.concatenate([c[1] for c in corrected]), {}
        se = np.concatenate([agg.analytic_se(psi) for psi in parts])
        return se, np.full(len(se), np.inf), {}
    # The cells come first, then every effect built from them, in ``built``'s order.
    cell_draws, built_draws = agg.bootstrap_draws(cells, built, config.bootstrap, config.seed)
    draws = np.hstack([cell_draws, built_draws])
    se = draws.std(axis=0, ddof=1)
    crits, start = {}, 0
    for fam in families:
        stop = start + len(fam.att)
        crits[fam.key] = agg.sup_t_critical(draws[:, start:stop], se[start:stop], config.alpha)
        start = stop
    return se, np.full(len(se), np.inf), crits


def critical_values(df: np.ndarray, alpha: float) -> np.ndarray:
    """Two-sided critical values: Student t with ``df``, normal where df is infinite."""
    return stats.t.ppf(1 - alpha / 2, df)


def _table(key, labels, att, se, df, z, crit, se_analytic) -> pl.DataFrame:
    band = crit if crit is not None else np.nan
    return pl.DataFrame(
        {
            key: labels,
            "att": att,
            "se": se,
            "se_analytic": se_analytic,
            "df": df,
            "ci_lower": att - z * se,
            "ci_upper": att + z * se,
            "band_lower": att - band * se,
            "band_upper": att + band * se,
        }
    )


def build_tables(cells: agg.Cells, config) -> Tables:
    """All tables and overall effects, with analytic or bootstrap inference."""
    families, overall, built = _families(cells)
    se, df, crits = _inference(families, overall, built, config, cells)
    # R did's analytic standard errors, kept beside any small-sample correction so the
    # figures can be checked against R did or csdid, which do not make it
    plain = np.concatenate([agg.analytic_se(f.psi) for f in families])
    z = critical_values(df, config.alpha)
    tables, start = {}, 0
    for fam in families:
        rows = slice(start, start + len(fam.att))
        tables[fam.key] = _table(
            fam.key, fam.labels, fam.att, se[rows], df[rows], z[rows], crits.get(fam.key),
            plain[rows],
        )  # fmt: skip
        start = rows.stop
    att_gt = tables["cell"].drop("cell")
    att_gt = pl.DataFrame({"g": cells.group, "t": cells.time}).hstack(att_gt)
    dynamic = families[1]
    pre = dynamic.psi[:, dynamic.labels < 0]
    return Tables(
        att_gt=att_gt,
        dynamic=tables["e"],
        group=tables["g"],
        calendar=tables["t"],
        overall={
            name: (float(fam.att[0]), float(se[start + i]), float(df[start + i]))
            for i, (name, fam) in enumerate(overall)
        },
        band_critical_value=crits.get("e"),
        pretrend_vcov=pre.T @ pre,
    )
