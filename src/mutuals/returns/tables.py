"""Reading uploaded tables (CSV or XLSX) as text, cell for cell.

Every cell is read as text so that validation, not the reader, decides what
is a number: "1,234", "twelve" or "=SUM(B2:B9)" must reach the validator as
typed, so that it can say exactly what is wrong.

Every importer reads through :func:`read_table`, so the file-level rules are kept once:

- a file in UTF-16 or UTF-32 (a byte order mark, or text full of NUL bytes) is refused
  as such, with how to save it, rather than read as one long garbled column;
- headings are trimmed and lower-cased; two columns with one heading are refused; a
  column with no heading is dropped when it is empty and named as an unknown column
  (see :func:`column_problems`) when it holds data;
- rows with every cell empty are skipped (spreadsheets leave them), keeping each row's
  true number; an importer refuses a file with headings but no rows
  (:func:`require_rows`), after saying what is wrong with its headings;
- an XLSX file is a zip: its parts' sizes are checked before it is opened, and it is
  refused when they unpack beyond ``XLSX_MAX_INFLATED_MB`` or far more tightly than any
  spreadsheet packs (see :mod:`mutuals.returns.xlsx_guard`); its rows are then streamed
  into the table a slice at a time, never held as Python objects all at once, and no
  row is read wider than its headings (and :data:`_STRAY_COLUMNS` more, to find values
  typed right of them), whatever size the sheet declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl

from mutuals.errors import FileUnreadable, Problem
from mutuals.returns.cells import excerpt, quoted
from mutuals.returns.xlsx_guard import refuse_bombs

ROW = "_row"  # the row number a spreadsheet shows: the header is row 1
IGNORED = ("row", "reasons")  # a rejects file's own columns: a fixed one imports as it is
_SLICE = 50_000  # XLSX rows held as Python objects at once
_STRAY_COLUMNS = 64  # XLSX columns read right of the last heading, to find stray values
_SNIFF = 4096  # bytes read to judge a CSV's encoding
_UNNAMED = "column {} (no heading)"


def read_table(path: Path | str, *, whole_dates: bool = False) -> pl.DataFrame:
    """Read a CSV or XLSX file into text columns plus a ``_row`` column.

    A spreadsheet's date cells are read as their month (2011-06), as returns mean them,
    or with ``whole_dates`` as the day (2011-06-01), as a register needs."""
    path = Path(path)
    if not path.exists():
        raise FileUnreadable(f"{excerpt(path.name)}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, frame = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        header, frame = _read_xlsx(path, whole_dates)
    else:
        raise FileUnreadable(
            f"{excerpt(path.name)}: use a .csv or .xlsx file, not {quoted(suffix or 'none')}"
        )
    return _named(frame, header, path)


def require_rows(table: pl.DataFrame) -> None:
    """Refuse a table with headings but no rows: importing nothing is never what was meant."""
    if table.height == 0:
        raise FileUnreadable(
            "the file has column headings but no rows: add the rows to import below the headings"
        )


def column_problems(
    columns: Iterable[str], required: Iterable[str], optional: Iterable[str] = ()
) -> list[Problem]:
    """The file-level problems with a table's headings: each required column missing, and
    the columns the import does not know (a misspelt one would otherwise be ignored)."""
    columns = [name for name in columns if name != ROW]
    required = tuple(required)
    problems = [
        Problem(0, name, "this required column is missing")
        for name in required
        if name not in columns
    ]
    known = {*required, *optional, *IGNORED}
    unknown = [name for name in columns if name not in known]
    if unknown:
        problems.append(Problem(0, "", _unknown_reason(unknown, required, optional)))
    return problems


def _unknown_reason(unknown: list[str], required, optional) -> str:
    shown = ", ".join(quoted(name) for name in unknown[:5])
    if len(unknown) > 5:
        shown += f" and {len(unknown) - 5:,} more"
    expected = ", ".join(required)
    if optional := [name for name in optional if name not in required]:
        expected += f", and optionally {', '.join(optional)}"
    noun = "a column" if len(unknown) == 1 else f"{len(unknown):,} columns"
    return (
        f"the file has {noun} this import does not know: {shown}. Check the spelling, or "
        f"remove the column; the columns are {expected}"
    )


# --- CSV ---------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[list[str], pl.DataFrame]:
    _refuse_wrong_encoding(path)
    try:
        # Empty cells as "", not null: no column then needs a second pass to fill its gaps.
        frame = pl.read_csv(
            path,
            has_header=False,
            infer_schema=False,
            encoding="utf8-lossy",
            empty_string_is_null=False,
            # Numbered as it is read, so the numbers come in the same pieces as the cells: a
            # number column made after, in one piece, had every column copied to match it.
            row_index_name=ROW,
            row_index_offset=1,
        )
    except pl.exceptions.NoDataError:
        raise FileUnreadable(
            f"{excerpt(path.name)} is empty: it needs a header row and data"
        ) from None
    except pl.exceptions.ComputeError as error:
        first_line = excerpt(str(error).strip().splitlines()[0], 200)
        raise FileUnreadable(
            f"{excerpt(path.name)} is not a readable CSV file: {first_line}"
        ) from None
    if frame.height == 0:
        raise FileUnreadable(f"{excerpt(path.name)} is empty: it needs a header row and data")
    header = [cell or "" for cell in frame.drop(ROW).row(0)]
    data = frame.slice(1).with_columns(pl.col(ROW).cast(pl.Int64))
    return header, data


def _refuse_wrong_encoding(path: Path) -> None:
    """A CSV saved as UTF-16 or UTF-32 is refused by name, with what to do instead; so is
    any file holding NUL bytes, which no text does (and PostgreSQL cannot store)."""
    with open(path, "rb") as handle:
        start = handle.read(_SNIFF)
    encoding = _unicode_encoding(start)
    if encoding is None and start.count(b"\x00") * 4 >= len(start) > 0:
        encoding = "UTF-16 or UTF-32"  # no byte order mark, but every other byte is NUL
    if encoding is not None:
        raise FileUnreadable(
            f"{excerpt(path.name)} is saved as {encoding} text, which this import cannot "
            "read: save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and "
            "upload that"
        )
    if _has_nul(path):
        raise FileUnreadable(
            f"{excerpt(path.name)} holds NUL bytes, which text never does, so it is not a "
            "CSV file: save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'"
        )


def _unicode_encoding(start: bytes) -> str | None:
    if start.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    return None


def _has_nul(path: Path) -> bool:
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            if b"\x00" in block:
                return True
    return False


# --- XLSX --------------------------------------------------------------------------------


def _read_xlsx(path: Path, whole_dates: bool) -> tuple[list[str], pl.DataFrame]:
    from openpyxl import load_workbook

    refuse_bombs(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileUnreadable(
            f"{excerpt(path.name)} is not a readable XLSX file: {excerpt(error, 200)}"
        ) from None
    try:
        if not workbook.worksheets:
            raise FileUnreadable(f"{excerpt(path.name)} has no worksheet")
        sheet = workbook.worksheets[0]
        # A declared size (A1:XFD1048576, say) would pad every row to 16,384 cells.
        sheet.reset_dimensions()
        header_cells = next(sheet.iter_rows(max_row=1, values_only=True), None)
        if not header_cells or not any(cell is not None for cell in header_cells):
            raise FileUnreadable(f"{excerpt(path.name)} is empty: it needs a header row and data")
        header = [_cell_text(cell, whole_dates) for cell in header_cells]
        while header and not header[-1]:
            header.pop()
        rows = sheet.iter_rows(min_row=2, max_col=len(header) + _STRAY_COLUMNS, values_only=True)
        data = pl.concat(list(_slices(rows, len(header), whole_dates)), how="diagonal")
    except FileUnreadable:
        raise
    except Exception as error:  # a damaged sheet fails while it is streamed
        raise FileUnreadable(
            f"{excerpt(path.name)} is not a readable XLSX file: {excerpt(error, 200)}"
        ) from None
    finally:
        workbook.close()
    return header, data


def _slices(rows: Iterator[tuple], width: int, whole_dates: bool) -> Iterator[pl.DataFrame]:
    """The sheet's rows after the header, :data:`_SLICE` at a time, as frames of text
    columns ``0``, ``1`` … plus ``_row``; a cell right of the last heading that holds
    something becomes one more column, so that it is reported rather than lost."""
    names = [str(index) for index in range(width)]
    batch: list[list[str]] = []
    numbers: list[int] = []
    extra = 0
    blank = ()  # openpyxl yields one shared tuple for every missing row: skip it at once
    for number, row in enumerate(rows, start=2):
        if row is blank or row.count(None) == len(row):
            blank = row
            continue
        cells = [_cell_text(cell, whole_dates) for cell in row]
        if not any(cells):
            continue
        if len(cells) > width and any(cells[width:]):
            extra = max(extra, max(i for i, c in enumerate(cells) if c) + 1 - width)
        batch.append(cells)
        numbers.append(number)
        if len(batch) == _SLICE:
            yield _slice_frame(batch, numbers, names, extra)
            batch, numbers = [], []
    yield _slice_frame(batch, numbers, names, extra)


def _slice_frame(batch, numbers, names, extra) -> pl.DataFrame:
    wide = names + [str(len(names) + index) for index in range(extra)]
    padded = [(cells + [""] * len(wide))[: len(wide)] for cells in batch]
    frame = pl.DataFrame(padded, schema={name: pl.Utf8 for name in wide}, orient="row")
    return frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))


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


# --- both --------------------------------------------------------------------------------


def _named(frame: pl.DataFrame, header: list[str], path: Path) -> pl.DataFrame:
    """``frame``'s data columns (in order, then ``_row``) named by ``header``: headings
    trimmed and lower case, empty unheaded columns dropped, blank rows skipped."""
    data = [name for name in frame.columns if name != ROW]
    header = header + [""] * (len(data) - len(header))
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for position, (column, heading) in enumerate(zip(data, header, strict=True), start=1):
        name = heading.replace("\ufeff", "").strip().lower()
        if not name:
            if _is_empty(frame.get_column(column)):
                continue
            name = _UNNAMED.format(position)
        if name == ROW:
            name = f"{ROW} (a heading the importer keeps for itself)"
        if name in seen:
            raise FileUnreadable(
                f"{excerpt(path.name)}: columns {seen[name]} and {position} both have the "
                f"heading {quoted(name)}: keep one of them"
            )
        seen[name] = position
        names[column] = name
    if not names:
        raise FileUnreadable(f"{excerpt(path.name)} is empty: it needs a header row and data")
    # Cells by position, not pl.col(heading): polars reads a heading like ^.*$ as a pattern.
    frame = frame.select(*names, ROW).rename(names)
    # Gaps as "" (a spreadsheet's cells are never null), copying only the columns with gaps:
    # a national file's millions of rows made each copy a pass through fresh memory.
    cells = [pl.nth(index) for index in range(len(names))]
    gaps = [cell for index, cell in enumerate(cells) if frame.to_series(index).has_nulls()]
    if gaps:
        frame = frame.with_columns(cell.fill_null("") for cell in gaps)
    filled = frame.select(pl.any_horizontal(cell != "" for cell in cells)).to_series()
    if not filled.all():  # copy the columns only when there are rows to skip
        frame = frame.filter(filled)
    return frame


def _is_empty(column: pl.Series) -> bool:
    return not column.fill_null("").str.strip_chars().ne("").any()
