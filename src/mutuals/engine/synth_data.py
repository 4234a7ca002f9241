"""Turn a long panel into the matrices a synthetic control needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from mutuals.engine.errors import (
    NonNumericColumnError,
    TooFewPeriodsError,
    UnitNotFoundError,
)
from mutuals.engine.panel import require_columns, require_numeric, validate_panel


@dataclass(frozen=True)
class Predictor:
    """A covariate predictor: the mean of ``variable`` over ``periods``."""

    variable: str
    periods: tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "periods", tuple(self.periods))


@dataclass(frozen=True)
class SynthData:
    """Outcomes and predictors of the pool: column 0 is the treated unit."""

    units: list  # pool labels, treated first
    periods: np.ndarray
    outcomes: np.ndarray  # (n_periods, n_pool)
    predictors: np.ndarray  # (k, n_pool), scaled by each row's std over the pool
    predictor_names: list[str]
    pre: np.ndarray  # boolean mask over periods


def _same(label, wanted) -> bool:
    if label == wanted or str(label) == str(wanted):
        return True
    try:
        return float(label) == float(wanted)
    except (TypeError, ValueError):
        return False


def _match_unit(labels: list, wanted) -> object:
    for label in labels:
        if _same(label, wanted):
            return label
    sample = ", ".join(repr(u) for u in labels[:5])
    raise UnitNotFoundError(
        f"unit {wanted!r} is not in the panel; its {len(labels)} units include {sample}"
    )


def pool_units(panel: pl.DataFrame, unit: str, treated, donors) -> list:
    """Treated unit first, then the donors (default: every other unit)."""
    labels = panel[unit].unique(maintain_order=True).sort().to_list()
    treated = _match_unit(labels, treated)
    if donors is None:
        pool = [u for u in labels if u != treated]
    else:
        pool = [_match_unit(labels, d) for d in donors if not _same(d, treated)]
    if not pool:
        raise UnitNotFoundError("there are no donor units to build the synthetic control from")
    return [treated, *pool]


def _outcome_matrix(panel: pl.DataFrame, config, units: list) -> tuple[np.ndarray, np.ndarray]:
    """Periods and outcomes (periods x pool units) of a sorted, balanced panel."""
    labels = panel[config.unit].unique(maintain_order=True).to_list()
    n_periods = panel.height // len(labels)
    values = panel[config.outcome].to_numpy().astype(float).reshape(len(labels), n_periods)
    position = {label: i for i, label in enumerate(labels)}
    columns = [position[u] for u in units]
    return panel[config.time][:n_periods].to_numpy(), values[columns].T


def _predictor_rows(panel: pl.DataFrame, config, units: list) -> tuple[np.ndarray, list[str]]:
    rows, names = [], []
    for spec in config.predictors:
        require_columns(panel, [spec.variable])
        require_numeric(panel, spec.variable)
        means = (
            panel.filter(
                pl.col(config.time)
                .cast(pl.Float64)
                .is_in(pl.Series([float(p) for p in spec.periods]).implode())
            )
            .group_by(config.unit)
            .agg(pl.col(spec.variable).fill_nan(None).mean().alias("m"))
        )
        lookup = dict(zip(means[config.unit].to_list(), means["m"].to_list(), strict=True))
        values = [lookup.get(u) for u in units]
        if any(v is None for v in values):
            missing = next(u for u, v in zip(units, values, strict=True) if v is None)
            raise NonNumericColumnError(
                f"predictor {spec.variable!r} has no values for unit {missing!r} in "
                f"periods {spec.periods[0]}..{spec.periods[-1]}"
            )
        rows.append(values)
        names.append(f"{spec.variable} mean {spec.periods[0]}..{spec.periods[-1]}")
    return np.array(rows, dtype=float), names


def _scale_rows(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=1, ddof=1, keepdims=True)
    return x / np.where(sd > 0, sd, 1.0)


def prepare(data: pl.DataFrame, config) -> SynthData:
    """Validate the panel and build outcome and predictor matrices for the pool."""
    panel = validate_panel(data, unit=config.unit, time=config.time, outcome=config.outcome)
    units = pool_units(panel, config.unit, config.treated, config.donors)
    periods, outcomes = _outcome_matrix(panel, config, units)
    pre = periods < config.start
    if pre.sum() < 2:
        raise TooFewPeriodsError(
            f"only {int(pre.sum())} period(s) before the start {config.start}; "
            "at least 2 are needed to fit a synthetic control"
        )
    if pre.all():
        raise TooFewPeriodsError(f"no period at or after the start {config.start} to evaluate")
    if config.predictors:
        x, names = _predictor_rows(panel, config, units)
    else:
        x, names = outcomes[pre], [f"{config.outcome} {t}" for t in periods[pre]]
    return SynthData(
        units=units,
        periods=periods,
        outcomes=outcomes,
        predictors=_scale_rows(x),
        predictor_names=names,
        pre=pre,
    )
