"""Comparators matched on baseline characteristics, and the balance they achieve.

The national evaluation of social work practices matched each pilot with
comparison councils on their baseline. Mutuals does the same for every
spin-out: nearest-neighbour matching of treated units (spin-outs) to
comparator units (in-house providers) on covariates measured before
treatment, optionally only within an exact stratum (region, kind of
service) and within a caliper.

Distances: Mahalanobis (covariance of the whole sample, so correlated
covariates are not double-counted) or standardised Euclidean (each covariate
divided by its whole-sample SD). Both are computed as plain Euclidean
distances after whitening the covariates.

Matching is greedy, treated units taken in ascending id order (so results
are reproducible); without replacement a comparator is used at most once.
Treated units with no eligible comparator are reported as unmatched.

Balance: standardised mean difference (SMD) = (treated mean − comparator
mean) / sqrt((s_t² + s_c²)/2), sample variances from *before* matching for
both columns (Stuart 2010), so a change in SMD reflects a change in means,
not in spread. After matching, comparators are weighted by how often they
are used (1/k per treated unit they serve) and only matched treated units
count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import polars as pl

from mutuals.engine._results import ResultMixin, require_columns
from mutuals.engine.errors import EmptyCohortError, InvalidOptionError

Distance = Literal["mahalanobis", "euclidean"]


@dataclass(frozen=True)
class MatchConfig:
    treatment: str
    covariates: tuple[str, ...]
    unit: str = "unit"
    distance: Distance = "mahalanobis"
    k: int = 1
    replace: bool = False
    exact: tuple[str, ...] = ()
    caliper: float | None = None

    def __post_init__(self) -> None:
        if self.distance not in get_args(Distance):
            raise InvalidOptionError(
                f"distance={self.distance!r}: use 'mahalanobis' or 'euclidean'."
            )
        if self.k < 1:
            raise InvalidOptionError(f"k (neighbours per treated unit) must be ≥ 1, not {self.k}.")
        if self.caliper is not None and self.caliper <= 0:
            raise InvalidOptionError("caliper must be a positive distance.")
        if not self.covariates:
            raise InvalidOptionError("Give at least one covariate to match on.")


@dataclass(frozen=True)
class MatchResult(ResultMixin):
    """Matched pairs (``tidy()``), the balance table and unmatched treated ids."""

    pairs: pl.DataFrame
    balance: pl.DataFrame
    unmatched_treated: tuple
    config: MatchConfig

    def tidy(self) -> pl.DataFrame:
        """One row per (treated, comparator) match with its distance and rank."""
        return self.pairs

    @property
    def comparator_ids(self) -> list:
        """Distinct matched comparator ids, in first-use order."""
        return self.pairs["control_id"].unique(maintain_order=True).to_list()

    @property
    def max_abs_smd(self) -> float:
        """Largest |SMD| after matching: the balance figure the grade uses."""
        return float(self.balance["smd_after"].abs().max())


def match(
    data: pl.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    unit: str = "unit",
    distance: Distance = "mahalanobis",
    k: int = 1,
    replace: bool = False,
    exact: str | Sequence[str] | None = None,
    caliper: float | None = None,
) -> MatchResult:
    """Nearest-neighbour comparators for each treated unit (one row per unit).

    ``unit`` names the id column; ``treatment`` is a boolean / 0-1 column;
    ``covariates`` are numeric baseline characteristics; ``exact`` names
    categorical column(s) that must agree; ``caliper`` is the largest
    distance accepted (in the units of the chosen distance, i.e. standard
    deviations). Units with a missing covariate are left out.
    """
    exact_cols = (exact,) if isinstance(exact, str) else tuple(exact or ())
    config = MatchConfig(
        treatment, tuple(covariates), unit, distance, k, replace, exact_cols, caliper
    )
    require_columns(data, [unit, treatment, *config.covariates, *exact_cols], numeric=covariates)
    data = data.drop_nulls([treatment, *config.covariates]).sort(unit)
    return _estimate(data, config)


def _whiten(x: np.ndarray, distance: Distance) -> np.ndarray:
    """Transform covariates so Euclidean distance is the chosen metric."""
    if distance == "euclidean":
        sd = x.std(axis=0, ddof=1)
        return x / np.where(sd > 0, sd, 1.0)
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    values, vectors = np.linalg.eigh(cov)
    keep = values > 1e-12 * max(values.max(), 1e-300)
    return x @ (vectors[:, keep] / np.sqrt(values[keep]))


def _estimate(data: pl.DataFrame, cfg: MatchConfig) -> MatchResult:
    treated = data[cfg.treatment].cast(pl.Boolean).to_numpy()
    if treated.all() or not treated.any():
        raise EmptyCohortError("Matching needs both treated units and comparators in the data.")
    x = data.select(cfg.covariates).cast(pl.Float64).to_numpy()
    z = _whiten(x, cfg.distance)
    strata = (
        data.select(pl.struct(cfg.exact).rank("dense")).to_series().to_numpy()
        if cfg.exact
        else np.zeros(data.height, dtype=int)
    )
    ids = data[cfg.unit].to_list()
    rows, weights, unmatched = _greedy_match(z, treated, strata, cfg)
    pairs = pl.DataFrame(
        [{"treated_id": ids[t], "control_id": ids[c], "distance": d, "rank": r} for t, c, d, r in rows],
        schema={"treated_id": data.schema[cfg.unit], "control_id": data.schema[cfg.unit],
                "distance": pl.Float64, "rank": pl.Int64},
    )  # fmt: skip
    balance = balance_table(data, cfg.treatment, cfg.covariates, weights)
    return MatchResult(pairs, balance, tuple(ids[t] for t in unmatched), cfg)


def _greedy_match(
    z: np.ndarray, treated: np.ndarray, strata: np.ndarray, cfg: MatchConfig
) -> tuple[list[tuple[int, int, float, int]], np.ndarray, list[int]]:
    """Greedy k-nearest matching; returns pairs, matching weights, unmatched."""
    available = ~treated
    weights = np.zeros(len(z))
    rows, unmatched = [], []
    for t in np.flatnonzero(treated):
        eligible = np.flatnonzero(available & (strata == strata[t]))
        dist = np.sqrt(((z[eligible] - z[t]) ** 2).sum(axis=1))
        order = np.argsort(dist, kind="stable")[: cfg.k]
        if cfg.caliper is not None:
            order = order[dist[order] <= cfg.caliper]
        if len(order) == 0:
            unmatched.append(int(t))
            continue
        weights[t] = 1.0
        for rank, j in enumerate(order, start=1):
            c = int(eligible[j])
            rows.append((int(t), c, float(dist[j]), rank))
            weights[c] += 1.0 / len(order)
            if not cfg.replace:
                available[c] = False
    return rows, weights, unmatched


def standardised_mean_difference(
    treated: np.ndarray, control: np.ndarray, pooled_sd: float | None = None
) -> float:
    """(mean_t − mean_c) / sqrt((s_t² + s_c²)/2), or over a given pooled SD."""
    treated, control = np.asarray(treated, float), np.asarray(control, float)
    if pooled_sd is None:
        pooled_sd = float(np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2))
    diff = treated.mean() - control.mean()
    return float(diff / pooled_sd) if pooled_sd > 0 else (0.0 if diff == 0 else float("inf"))


def balance_table(
    data: pl.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    weights: np.ndarray | None = None,
) -> pl.DataFrame:
    """SMD of each covariate before and (given matching weights) after matching."""
    treated = data[treatment].cast(pl.Boolean).to_numpy()
    rows = []
    for name in covariates:
        x = data[name].cast(pl.Float64).to_numpy()
        xt, xc = x[treated], x[~treated]
        sd = float(np.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2))
        row = {"covariate": name, "mean_treated": xt.mean(), "mean_control": xc.mean(),
               "smd_before": standardised_mean_difference(xt, xc, sd)}  # fmt: skip
        if weights is not None and weights[treated].sum() > 0:
            wt, wc = weights[treated], weights[~treated]
            mt, mc = np.average(xt, weights=wt), np.average(xc, weights=wc)
            row |= {"mean_treated_after": mt, "mean_control_after": mc,
                    "smd_after": (mt - mc) / sd if sd > 0 else 0.0}  # fmt: skip
        rows.append(row)
    return pl.DataFrame(rows)
