"""Text in files people open in a spreadsheet, made safe from formula injection.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some skip a leading tab or carriage return first), so an organisation called
``=HYPERLINK("http://x","y")`` would become a live link, or worse, for whoever opens an
export. Following OWASP, every CSV the product writes for people puts a single quote
before such text: the spreadsheet shows it as text, and nothing runs.

Three choices keep the rule from doing harm:

- **Numbers are not text.** Only text cells are touched, and text that is a plain number
  as written (``-3.5``, ``+44``, ``1e-3``) is left as it is: a spreadsheet reads it as that
  number, never as a formula, and a quote would turn it into text.
- **The quote comes off on the way back in.** Exports the product imports again go
  through :func:`restore_text` (the register importer, every cell) or :func:`restored`
  (the returns validator, organisation and metric), which take off one quote before
  formula text, so importing an export changes nothing. Formula text is still refused
  as typed: only the quoted form, which a spreadsheet also reads as text, gets through.
- **Round trips are exact.** Text that already begins with quotes before a formula
  character gains one more, so restoring gives back exactly what was stored, however
  many times a file goes round.

Parquet and JSON are read by programs, not opened in spreadsheets, and are left alone.
The product writes no XLSX (openpyxl only reads uploads).
"""

from __future__ import annotations

import re
from typing import TypeVar

import polars as pl

# Any quotes, then a character a spreadsheet starts a formula with.
_FORMULA_START = r"'*[=+\-@\t\r]"
# A decimal number as a spreadsheet reads one: a sign, digits, a point, an exponent.
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# One quote put there by neutralising, and the formula text it protects.
_NEUTRALISED = r"'('*[=+\-@\t\r])"

_formula_start = re.compile(_FORMULA_START)
_plain_number = re.compile(_PLAIN_NUMBER)
_neutralised = re.compile(_NEUTRALISED)
_FIRST_CHARACTERS = frozenset("'=+-@\t\r")
Column = TypeVar("Column", pl.Expr, pl.Series)


def neutralise_text(value: str | None) -> str:
    """``value`` as it should be written into a CSV cell (None as an empty cell)."""
    if not value:
        return ""
    if value[0] not in _FIRST_CHARACTERS:  # nearly every cell: no regex needed
        return value
    if _formula_start.match(value) and not _plain_number.fullmatch(value):
        return "'" + value
    return value


def restore_text(value: str) -> str:
    """A cell as imported, without the quote :func:`neutralise_text` put before it."""
    return value[1:] if _neutralised.match(value) else value


def neutralised(column: pl.Expr) -> pl.Expr:
    """:func:`neutralise_text` as a polars expression over a text column (nulls stay null)."""
    is_formula = column.str.contains(f"^{_FORMULA_START}") & ~column.str.contains(
        f"^(?:{_PLAIN_NUMBER})$"
    )
    return pl.when(is_formula).then(pl.lit("'") + column).otherwise(column)


def restored(column: Column) -> Column:
    """:func:`restore_text` over a text column or series, for importers that read frames."""
    return column.str.replace(f"^{_NEUTRALISED}", "$1")


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` ready to be written as CSV for people: every text cell, and the header,
    neutralised; numbers, dates and booleans untouched. Categorical columns come back
    as plain text, since neutralising may add values their categories do not hold."""
    text_columns = [name for name, dtype in frame.schema.items() if _is_text(dtype)]
    frame = frame.with_columns(
        neutralised(pl.col(name).cast(pl.String)).alias(name) for name in text_columns
    )
    return frame.rename({name: neutralise_text(name) for name in frame.columns})


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)
