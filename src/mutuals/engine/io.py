"""Read a long panel from a CSV or Parquet file into polars."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mutuals.engine.errors import PanelReadError

_READERS = {
    ".csv": lambda p: pl.read_csv(p, infer_schema_length=10_000),
    ".parquet": pl.read_parquet,
    ".pq": pl.read_parquet,
}


def read_panel(path: str | Path) -> pl.DataFrame:
    """Read ``path`` (``.csv``, ``.parquet`` or ``.pq``) as a polars DataFrame.

    Raises ``PanelReadError`` with a message saying what to fix when the file
    is missing, has another extension, cannot be parsed or is empty.
    """
    path = Path(path)
    if not path.is_file():
        raise PanelReadError(f"panel file {str(path)!r} does not exist")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise PanelReadError(
            f"panel file {path.name!r} must be CSV (.csv) or Parquet (.parquet, .pq)"
        )
    try:
        frame = reader(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise PanelReadError(f"could not read panel file {path.name!r}: {exc}") from exc
    if frame.height == 0:
        raise PanelReadError(f"panel file {path.name!r} has no rows")
    return frame
