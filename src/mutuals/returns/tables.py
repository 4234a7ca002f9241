"""Reading uploaded tables (CSV or XLSX) as text, cell for cell.

Every cell is read as text so that validation, not the reader, decides what
is a number: "1,234", "twelve" or "=SUM(B2:B9)" must reach the validator as
typed, so that it can say exactly what is wrong.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from mutuals.errors import FileUnreadable

ROW = "_row"  # the row number a spreadsheet shows: the header is row 1


def read_table(path: Path | str, *, whole_dates: bool = False) -> pl.DataFrame:
    """Read a CSV or XLSX file into text columns plus a ``_row`` column.

    A spreadsheet's date cells are read as their month (2011-06), as returns mean them,
    or with ``whole_dates`` as the day (2011-06-01), as a register needs."""
    path = Path(path)
    if not path.exists():
        raise FileUnreadable(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        frame = _read_xlsx(path, whole_dates)
    else:
        raise FileUnreadable(f"{path.name}: use a .csv or .xlsx file, not '{suffix or 'none'}'")
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.NoDataError:
        raise FileUnreadable(f"{path.name} is empty: it needs a header row and data") from None
    except pl.exceptions.ComputeError as error:
        first_line = str(error).strip().splitlines()[0]
        raise FileUnreadable(f"{path.name} is not a readable CSV file: {first_line}") from None
    return frame


def _read_xlsx(path: Path, whole_dates: bool) -> pl.DataFrame:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileUnreadable(f"{path.name} is not a readable XLSX file: {error}") from None
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise FileUnreadable(f"{path.name} is empty: it needs a header row and data")
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    data = [[_cell_text(cell, whole_dates) for cell in row[: len(names)]] for row in rows]
    workbook.close()
    data = [row + [""] * (len(names) - len(row)) for row in data if any(row)]
    return pl.DataFrame(data, schema={name: pl.Utf8 for name in names}, orient="row")


def _cell_text(cell, whole_dates: bool = False) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        if whole_dates:
            return f"{cell:%Y-%m-%d}"
        # Spreadsheets turn "2011-06" into a date; a month is what was meant.
        return f"{cell.year}-{cell.month:02d}"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
