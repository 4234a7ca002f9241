"""Quarterly returns for every provider and comparator, with the true effects.

Each series is a provider level + a common time trend + a seasonal pattern +
AR(1) noise, all drawn once per metric for every unit at a time (numpy arrays
of units × quarters). The series a spin-out would have had in-house (y0) and
the one it reports (y1, with the effect added) are both rounded the same way,
so the effect recorded in the truth is exactly the one in the data.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date

import numpy as np
import polars as pl

from mutuals.demo.catalogue import FIRST_QUARTER, LAST_QUARTER, METRICS, PROGRAMMES, MetricSpec
from mutuals.demo.effects import effect_for
from mutuals.returns.periods import quarter_from_index, quarter_index, quarter_label

_FIRST = quarter_index(FIRST_QUARTER)
QUARTERS = tuple(quarter_from_index(i) for i in range(_FIRST, quarter_index(LAST_QUARTER) + 1))
QUARTER_STARTS = tuple(date(int(q[:4]), 3 * int(q[-1]) - 2, 1) for q in QUARTERS)
_T = len(QUARTERS)


class _Units:
    """The reporting organisations as arrays."""

    def __init__(self, organisations: pl.DataFrame):
        units = organisations.filter(pl.col("kind") != "commissioner")
        self.key = units["key"].to_numpy()
        self.programme = np.array(units["programme"].fill_null("").to_list())
        self.social = units["children"].is_not_null().to_numpy()
        self.staff = units["staff_count"].to_numpy().astype(float)
        self.children = units["children"].fill_null(0).to_numpy().astype(float)
        self.income = units["annual_income"].to_numpy()
        self.cohort = np.array(
            [_index(d) if d else -1 for d in units["spinout_date"].to_list()], dtype=int
        )
        # A provider that exits reports for the quarters that start before its exit date.
        self.stop = np.array(
            [bisect_left(QUARTER_STARTS, d) if d else _T for d in units["exit_date"].to_list()],
            dtype=int,
        )


def _index(day: date) -> int:
    """Quarters from 2007-Q1 to the quarter containing ``day``."""
    return quarter_index(quarter_label(day)) - _FIRST


def build_panel(
    organisations: pl.DataFrame, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The observations frame, and the effect injected in each spin-out's reported
    quarter from its first treated quarter on (organisation, metric, period, effect)."""
    units = _Units(organisations)
    bases = _log_bases(units, rng)
    frames, injected = [], []
    for metric in METRICS:
        in_scope = _scope(metric, units)
        rows = np.flatnonzero(in_scope)
        y0, y1, extra = _series(metric, units, rows, bases, rng)
        reported = np.arange(_T)[None, :] < units.stop[rows][:, None]
        frames.append(_frame(metric, units.key[rows], y1, extra, reported))
        injected.append(_injected(metric, units, rows, y1 - y0, reported))
    return pl.concat(frames, how="vertical"), pl.concat(injected, how="vertical")


def _scope(metric: MetricSpec, units: _Units) -> np.ndarray:
    if metric.scope == "health":
        return ~units.social
    if metric.scope == "social":
        return units.social
    return np.ones_like(units.social)


def _log_bases(units: _Units, rng) -> dict[str, np.ndarray]:
    """Provider levels of the log-scale metrics, consistent with each other."""
    contacts = np.where(units.social, units.children * 6.0, units.staff * 250.0)
    contacts = np.log(contacts) + rng.normal(0, 0.15, size=len(contacts))
    income = np.log(units.income / 4)
    cost = income - contacts + rng.normal(0, 0.05, size=len(contacts))
    return {"contacts-delivered": contacts, "income": income, "unit-cost-per-contact": cost}


def _series(metric: MetricSpec, units: _Units, rows, bases, rng):
    n = len(rows)
    t = np.arange(_T)
    if metric.scale == "log":
        level = bases[metric.code][rows]
    else:
        level = metric.mean + metric.spread * rng.normal(size=n)
    season = np.array(metric.season)[(t + 0) % 4]  # 2007-Q1 is quarter 1
    latent = level[:, None] + metric.trend * t[None, :] + season[None, :] + _ar1(metric, n, rng)
    y0 = np.exp(latent) if metric.scale == "log" else latent
    effect, relative = _effects(metric, units, rows)
    y1 = y0 * (1 + effect) if relative else y0 + effect
    y0, y1 = _bounded(metric, y0), _bounded(metric, y1)
    if metric.code == "patient-experience":
        size = np.maximum(30.0, units.staff[rows] * 0.3)
        denominator = np.round(size[:, None] * np.exp(rng.normal(0, 0.1, size=(n, _T))))
        num0, num1 = np.round(denominator * y0 / 100), np.round(denominator * y1 / 100)
        return (
            np.round(100 * num0 / denominator, 2),
            np.round(100 * num1 / denominator, 2),
            (num1, denominator),
        )
    return np.round(y0, metric.decimals), np.round(y1, metric.decimals), None


def _ar1(metric: MetricSpec, n: int, rng) -> np.ndarray:
    shocks = rng.normal(0, metric.sigma, size=(n, _T))
    noise = np.empty((n, _T))
    noise[:, 0] = shocks[:, 0] / np.sqrt(1 - metric.rho**2)
    for t in range(1, _T):
        noise[:, t] = metric.rho * noise[:, t - 1] + shocks[:, t]
    return noise


def _effects(metric: MetricSpec, units: _Units, rows) -> tuple[np.ndarray, bool]:
    effect = np.zeros((len(rows), _T))
    relative = False
    since = np.arange(_T)[None, :] - units.cohort[rows][:, None]
    for programme in PROGRAMMES:
        spec = effect_for(programme.code, metric.code)
        if spec is None:
            continue
        mine = (units.programme[rows] == programme.code) & (units.cohort[rows] >= 0)
        effect[mine] = spec.path(since[mine])
        relative = spec.relative
    return effect, relative


def _bounded(metric: MetricSpec, values: np.ndarray) -> np.ndarray:
    if metric.low is None and metric.high is None:
        return values
    return np.clip(values, metric.low, metric.high)


def _frame(metric: MetricSpec, keys, values, extra, reported) -> pl.DataFrame:
    unit_index, quarter = np.nonzero(reported)
    labels = pl.Series("period", QUARTERS, dtype=pl.Utf8)
    starts = pl.Series("period_start", QUARTER_STARTS, dtype=pl.Date)
    index = pl.Series(quarter, dtype=pl.UInt32)
    numerator = denominator = pl.Series([None] * len(quarter), dtype=pl.Float64)
    if extra is not None:
        numerator = pl.Series(extra[0][reported], dtype=pl.Float64)
        denominator = pl.Series(extra[1][reported], dtype=pl.Float64)
    return pl.DataFrame(
        {
            "organisation": pl.Series(keys[unit_index], dtype=pl.Int64),
            "metric": pl.Series([metric.code], dtype=pl.Utf8).gather(
                np.zeros(len(quarter), dtype=np.uint32)
            ),
            "period": labels.gather(index),
            "period_start": starts.gather(index),
            "value": pl.Series(values[reported], dtype=pl.Float64),
            "numerator": numerator,
            "denominator": denominator,
        }
    )


def _injected(metric: MetricSpec, units: _Units, rows, effect, reported) -> pl.DataFrame:
    since = np.arange(_T)[None, :] - units.cohort[rows][:, None]
    treated = (units.cohort[rows] >= 0)[:, None]
    cells = reported & treated & (since >= 0)
    unit_index, quarter = np.nonzero(cells)
    return pl.DataFrame(
        {
            "organisation": pl.Series(units.key[rows][unit_index], dtype=pl.Int64),
            "metric": pl.Series([metric.code] * len(quarter), dtype=pl.Utf8),
            "period": pl.Series(QUARTERS, dtype=pl.Utf8).gather(quarter),
            "effect": pl.Series(effect[cells], dtype=pl.Float64),
        }
    )
