"""A small shared base for the engine's result objects.

Every estimate ends in a frozen result object. Whatever the method, callers
(web, API, CLI, reports) can rely on the same three accessors:

- ``tidy()`` -> a polars DataFrame, one row per reported quantity;
- ``summary()`` -> a short plain-text rendering for logs and the CLI;
- ``to_dict()`` -> plain Python values only (JSON-serialisable), for the API.

Result classes are frozen dataclasses that inherit ``ResultMixin`` and
implement ``tidy()``; ``summary()`` and ``to_dict()`` have sensible defaults
that a class may override. This module is deliberately tiny and stable: other
engine modules import it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sys
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import polars as pl

from mutuals.engine.errors import MissingColumnError, NonNumericColumnError


@runtime_checkable
class Result(Protocol):
    """What every engine result offers."""

    def tidy(self) -> pl.DataFrame: ...

    def summary(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


def to_plain(value: Any) -> Any:
    """Convert a value to plain, JSON-serialisable Python.

    polars frames become lists of row dicts, numpy arrays lists, numpy
    scalars Python scalars, dates ISO strings, and NaN or infinity ``None``
    (JSON has neither). Nested dataclasses, mappings and sequences are converted
    recursively.
    """
    if isinstance(value, pl.DataFrame):
        return [to_plain(row) for row in value.to_dicts()]
    if isinstance(value, pl.Series):
        return [to_plain(v) for v in value.to_list()]
    # A numpy value exists only once numpy is imported: every engine module imports this
    # one, and Django's models some of them, so importing numpy here slowed every start.
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if numpy is not None and isinstance(value, numpy.generic):
        return to_plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


class ResultMixin:
    """Uniform accessors for frozen dataclass results.

    Subclasses must implement ``tidy()``. ``to_dict()`` serialises every
    dataclass field; ``summary()`` prints the class name and the tidy table.
    """

    def tidy(self) -> pl.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement tidy()")

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    def summary(self) -> str:
        with pl.Config(tbl_rows=50, tbl_cols=20, tbl_hide_dataframe_shape=True):
            return f"{type(self).__name__}\n{self.tidy()}"


def require_columns(
    data: pl.DataFrame, columns: Sequence[str], *, numeric: Sequence[str] = ()
) -> None:
    """Fail early, with a message naming the column, when input is not usable.

    Shared by the estimators so every module reports missing and non-numeric
    columns the same way.
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise MissingColumnError(
            f"Column(s) {', '.join(repr(c) for c in missing)} not found; "
            f"the data has: {', '.join(data.columns)}."
        )
    for name in numeric:
        if not data.schema[name].is_numeric():
            raise NonNumericColumnError(
                f"Column {name!r} must hold numbers but has type {data.schema[name]}."
            )
