"""Shared validation of long panels (one row per unit and period).

Every panel estimator (difference-in-differences, synthetic control) checks
its input here, so a person sees the same actionable message whatever method
they ran: which column is missing and which columns the panel does have,
which column is not numeric, which units are missing which periods.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from mutuals.engine.errors import (
    MissingColumnError,
    NonNumericColumnError,
    UnbalancedPanelError,
)

_NUMERIC_EXAMPLES = 3


def require_columns(data: pl.DataFrame, columns: Sequence[str]) -> None:
    """Raise ``MissingColumnError`` naming the first missing column."""
    for name in columns:
        if name not in data.columns:
            have = ", ".join(repr(c) for c in data.columns)
            raise MissingColumnError(f"column {name!r} is missing; the panel has columns: {have}")


def require_numeric(data: pl.DataFrame, column: str) -> None:
    """Raise ``NonNumericColumnError`` if ``column`` does not hold numbers."""
    dtype = data.schema[column]
    if dtype.is_numeric():
        return
    examples = _non_numeric_examples(data[column])
    hint = f" (for example {examples})" if examples else ""
    raise NonNumericColumnError(f"column {column!r} must hold numbers but has type {dtype}{hint}")


def _non_numeric_examples(series: pl.Series) -> str:
    as_text = series.cast(pl.Utf8, strict=False)
    parsed = as_text.cast(pl.Float64, strict=False)
    bad = as_text.filter(parsed.is_null() & as_text.is_not_null()).unique(maintain_order=True)
    return ", ".join(repr(v) for v in bad.head(_NUMERIC_EXAMPLES).to_list())


def require_no_nulls(data: pl.DataFrame, column: str) -> None:
    """Raise ``NonNumericColumnError`` if ``column`` has missing or NaN values."""
    series = data[column]
    missing = series.is_null()
    if series.dtype.is_float():
        missing = missing | series.is_nan()
    count = int(missing.sum())
    if count:
        raise NonNumericColumnError(
            f"column {column!r} has {count} missing value(s); fill or drop those rows first"
        )


def require_balanced(data: pl.DataFrame, unit: str, time: str) -> None:
    """Raise ``UnbalancedPanelError`` unless every unit has each period exactly once."""
    dupes = data.group_by([unit, time]).len().filter(pl.col("len") > 1)
    if dupes.height:
        row = dupes.row(0, named=True)
        raise UnbalancedPanelError(
            f"unit {row[unit]!r} appears {row['len']} times in period {row[time]!r}; "
            "the panel must have one row per unit and period"
        )
    n_periods = data[time].n_unique()
    counts = data.group_by(unit).len().filter(pl.col("len") < n_periods)
    if counts.height:
        row = counts.sort(unit).row(0, named=True)
        raise UnbalancedPanelError(
            f"the panel is unbalanced: {counts.height} unit(s) are not observed in all "
            f"{n_periods} periods (for example unit {row[unit]!r} has {row['len']})"
        )


def validate_panel(
    data: pl.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    numeric: Sequence[str] = (),
    balanced: bool = True,
) -> pl.DataFrame:
    """Check a long panel and return it sorted by unit and time.

    ``outcome``, ``time`` and every column in ``numeric`` must be numeric and
    complete; ``unit`` must be present and complete. With ``balanced`` each
    unit must appear exactly once in every period.
    """
    if not isinstance(data, pl.DataFrame):
        raise TypeError(f"expected a polars DataFrame, got {type(data).__name__}")
    needed = [unit, time, outcome, *numeric]
    require_columns(data, needed)
    for column in [time, outcome, *numeric]:
        require_numeric(data, column)
    for column in needed:
        require_no_nulls(data, column)
    if balanced:
        require_balanced(data, unit, time)
    return data.sort([unit, time])
