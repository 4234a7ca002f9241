"""Turn a long panel into the matrices a synthetic control needs.

The panel is checked as ``panel.validate_panel`` checks it, but the checks
that pass are done on NumPy arrays (and PyArrow's dictionary encoding for the
unit labels) instead of polars group-bys and a sort. On the benchmark's panel
(201 units, 40 periods) those polars calls were 3 of the 4 ms a fixed-V fit
took, and being multi-threaded they wait for a descheduled thread when other
processes keep the cores busy: with two busy processes on the two cores their
median time tripled. A check that fails calls the shared check from
``panel``, so the message is the same as every other estimator's (the tests
hold the two to the same errors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow.compute as pc

from mutuals.engine.errors import (
    NonNumericColumnError,
    TooFewPeriodsError,
    UnbalancedPanelError,
    UnitNotFoundError,
)
from mutuals.engine.panel import (
    require_balanced,
    require_columns,
    require_no_nulls,
    require_numeric,
    validate_panel,
)


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


def pool_units(labels: list, treated, donors) -> list:
    """Treated unit first, then the donors (default: every other unit); ``labels`` sorted."""
    treated = _match_unit(labels, treated)
    if donors is None:
        pool = [u for u in labels if u != treated]
    else:
        pool = [_match_unit(labels, d) for d in donors if not _same(d, treated)]
    if not pool:
        raise UnitNotFoundError("there are no donor units to build the synthetic control from")
    return [treated, *pool]


@dataclass(frozen=True)
class _Grid:
    """A balanced panel as a matrix: sorted unit labels, sorted periods, outcomes."""

    labels: list
    periods: np.ndarray
    outcomes: np.ndarray  # (n_units, n_periods), rows in the order of ``labels``


def _checked_grid(data: pl.DataFrame, config) -> _Grid:
    """The outcome matrix of a panel that passes ``validate_panel``'s checks, in its order.

    Raises what ``validate_panel`` raises, with its messages.
    """
    needed = [config.unit, config.time, config.outcome]
    if not isinstance(data, pl.DataFrame):
        validate_panel(data, unit=config.unit, time=config.time, outcome=config.outcome)
    require_columns(data, needed)
    for column in (config.time, config.outcome):
        require_numeric(data, column)
    for column in needed:
        if _has_missing(data[column]):
            require_no_nulls(data, column)
    unit_codes, labels = _sorted_codes(data[config.unit])
    periods, time_codes = np.unique(data[config.time].to_numpy(), return_inverse=True)
    cells = unit_codes * len(periods) + time_codes
    if not _each_once(cells, len(labels) * len(periods)):
        require_balanced(data, config.unit, config.time)
        raise UnbalancedPanelError("the panel must have one row per unit and period")
    outcomes = np.empty(len(labels) * len(periods))
    outcomes[cells] = data[config.outcome].to_numpy()
    return _Grid(labels, periods, outcomes.reshape(len(labels), len(periods)))


def _has_missing(series: pl.Series) -> bool:
    """Nulls, or NaN in a float column: what ``require_no_nulls`` refuses."""
    if series.null_count():
        return True
    return series.dtype.is_float() and bool(np.isnan(series.to_numpy()).any())


def _sorted_codes(series: pl.Series) -> tuple[np.ndarray, list]:
    """Each value's position among the distinct values sorted as polars sorts them,
    and those values; numbers by value, anything else as text (byte order)."""
    if series.dtype.is_numeric():
        distinct, codes = np.unique(series.to_numpy(), return_inverse=True)
        return codes, distinct.tolist()
    encoded = pc.dictionary_encode(series.cast(pl.String).to_arrow())
    order = np.asarray(pc.sort_indices(encoded.dictionary), dtype=np.intp)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    codes = rank[np.asarray(encoded.indices)]
    return codes, encoded.dictionary.take(order).to_pylist()


def _each_once(cells: np.ndarray, n_cells: int) -> bool:
    """Every (unit, period) cell appears exactly once: balanced, without duplicates."""
    return cells.size == n_cells and bool((np.bincount(cells, minlength=n_cells) == 1).all())


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
    grid = _checked_grid(data, config)
    units = pool_units(grid.labels, config.treated, config.donors)
    position = {label: i for i, label in enumerate(grid.labels)}
    outcomes = grid.outcomes[[position[u] for u in units]].T
    periods = grid.periods
    pre = periods < config.start
    if pre.sum() < 2:
        raise TooFewPeriodsError(
            f"only {int(pre.sum())} period(s) before the start {config.start}; "
            "at least 2 are needed to fit a synthetic control"
        )
    if pre.all():
        raise TooFewPeriodsError(f"no period at or after the start {config.start} to evaluate")
    if config.predictors:
        panel = data.sort([config.unit, config.time])  # as validate_panel returned it
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
