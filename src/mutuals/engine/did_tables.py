"""Aggregate ATT(g,t) cells into the tables a DiD result reports.

Every reported effect is linear in the cells, so each gets an influence
function (see ``did_aggregate``); analytic standard errors are the root sum of
squares, and the multiplier bootstrap perturbs all of them with the same
draws, so uniform (sup-t) bands come out per family of effects.

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
    dynamic_vcov: np.ndarray


def _families(cells: agg.Cells) -> tuple[list[Family], list[tuple[str, float, np.ndarray]]]:
    event = cells.time - cells.group
    e_values = np.unique(event)
    dyn = [agg.share_weighted(cells, event == e) for e in e_values]
    dyn_att = np.array([a for a, _ in dyn])
    dyn_psi = np.column_stack([p for _, p in dyn])
    cohorts = agg.cohorts_with_post_cells(cells)
    g_att, g_psi = agg.cohort_effects(cells, cohorts)
    periods, c_att, c_psi = agg.calendar_effects(cells)
    post = e_values >= 0
    simple_att, simple_psi = agg.share_weighted(cells, cells.time >= cells.group)
    grp_att, grp_psi = agg.overall_cohort(cells, g_att, g_psi, cohorts)
    overall = [
        ("simple", simple_att, simple_psi),
        ("dynamic", float(dyn_att[post].mean()), dyn_psi[:, post].mean(axis=1)),
        ("group", grp_att, grp_psi),
        ("calendar", float(c_att.mean()), c_psi.mean(axis=1)),
    ]
    families = [
        Family("cell", np.arange(len(cells.att)), cells.att, cells.psi),
        Family("e", e_values, dyn_att, dyn_psi),
        Family("g", cohorts, g_att, g_psi),
        Family("t", periods, c_att, c_psi),
    ]
    return families, overall


def _inference(families, overall, config, unit_cohort: np.ndarray):
    """Standard errors and degrees of freedom of every family and overall effect,
    and the sup-t critical values of each family when bootstrapped."""
    psi = np.column_stack([f.psi for f in families] + [o[2] for o in overall])
    if not config.bootstrap:
        if config.small_sample:
            se, df = agg.small_sample_se(psi, unit_cohort)
            return se, df, {}
        return agg.analytic_se(psi), np.full(psi.shape[1], np.inf), {}
    draws = agg.bootstrap_draws(psi, config.bootstrap, config.seed)
    se = draws.std(axis=0, ddof=1)
    crits, start = {}, 0
    for fam in families:
        stop = start + fam.psi.shape[1]
        crits[fam.key] = agg.sup_t_critical(draws[:, start:stop], se[start:stop], config.alpha)
        start = stop
    return se, np.full(psi.shape[1], np.inf), crits


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
    families, overall = _families(cells)
    se, df, crits = _inference(families, overall, config, cells.unit_cohort)
    # R did's analytic standard errors, kept beside any small-sample correction so the
    # figures can be checked against R did or csdid, which do not make it
    plain = agg.analytic_se(np.column_stack([f.psi for f in families]))
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
    dyn_psi = families[1].psi
    return Tables(
        att_gt=att_gt,
        dynamic=tables["e"],
        group=tables["g"],
        calendar=tables["t"],
        overall={
            name: (att, float(se[start + i]), float(df[start + i]))
            for i, (name, att, _) in enumerate(overall)
        },
        band_critical_value=crits.get("e"),
        dynamic_vcov=dyn_psi.T @ dyn_psi,
    )
