"""Importing small reference tables (organisations, contracts) row by row.

Each importer turns a row into model instances and validates them with the
models' own validators, so a file and the admin obey the same rules. The
import is all or nothing unless ``skip_invalid`` is set; either way every
problem is named by row and column. A column the importer does not know (a misspelt
optional one, say) refuses the file, as a missing required one does, rather than being
silently ignored; cells are quoted in messages as excerpts (:mod:`mutuals.returns.cells`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from mutuals.errors import ImportRejected, Problem
from mutuals.exports import restore_text
from mutuals.returns.cells import (
    formula_problem,
    is_formula,
    is_non_finite_word,
    not_finite_problem,
    quoted,
)
from mutuals.returns.services import write_rejects
from mutuals.returns.tables import ROW, column_problems, read_table, require_rows


class CellError(ValueError):
    """A cell's text cannot be turned into the value its column needs."""

    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass(frozen=True)
class TableReport:
    rows: int
    created: int
    updated: int
    problems: list[Problem]
    rejects_path: Path | None


Saver = Callable[[], bool]  # saves one row's objects; True when it created a new record


def import_table(
    path: Path | str,
    *,
    required: Iterable[str],
    optional: Iterable[str],
    prepare: Callable[[dict[str, str], int], Saver],
    skip_invalid: bool = False,
    whole_dates: bool = False,
) -> TableReport:
    """Read ``path``, prepare every row, then save them all in one transaction
    (``whole_dates``: see :func:`mutuals.returns.tables.read_table`). ``required`` and
    ``optional`` are every column the importer reads: any other refuses the file."""
    path = Path(path)
    table = read_table(path, whole_dates=whole_dates)
    column_issues = column_problems(table.columns, required, optional)
    if column_issues:
        raise ImportRejected(column_issues, table.height)
    require_rows(table)
    problems: list[Problem] = []
    created = updated = 0
    with transaction.atomic():
        for record in table.iter_rows(named=True):
            row = record.pop(ROW)
            cells = {key: (value or "").strip() for key, value in record.items()}
            try:
                with transaction.atomic():
                    was_created = _prepare_row(cells, row, prepare)()
            except CellError as error:
                problems.append(Problem(row, error.column, error.reason))
                continue
            except ValidationError as error:
                problems.extend(_problems_from(error, row))
                continue
            created += was_created
            updated += not was_created
        if problems and not skip_invalid:
            transaction.set_rollback(True)
            raise ImportRejected(sorted(problems), table.height)
    rejects = write_rejects(table, problems, path) if problems else None
    return TableReport(table.height, created, updated, sorted(problems), rejects)


def _prepare_row(cells, row, prepare) -> Saver:
    for column, text in cells.items():
        if is_formula(text):
            raise CellError(column, formula_problem(text))
    # an export's protective quote (see mutuals.exports) comes off after the formula check
    return prepare({column: restore_text(text) for column, text in cells.items()}, row)


def _problems_from(error: ValidationError, row: int) -> list[Problem]:
    if not hasattr(error, "error_dict"):
        return [Problem(row, "", message) for message in error.messages]
    return [
        Problem(row, field if field != "__all__" else "", message)
        for field, messages in error.message_dict.items()
        for message in messages
    ]


def text(cells: dict[str, str], column: str, *, required: bool = False) -> str:
    value = cells.get(column, "")
    if required and not value:
        raise CellError(column, "this cell is empty")
    return value


def optional_date(cells: dict[str, str], column: str, *, required: bool = False) -> date | None:
    value = text(cells, column, required=required)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(
            column, f"{quoted(value)} is not a date: use YYYY-MM-DD, like 2011-04-01"
        ) from None


def optional_decimal(
    cells: dict[str, str], column: str, *, required: bool = False
) -> Decimal | None:
    value = text(cells, column, required=required)
    if not value:
        return None
    cleaned = value.replace(",", "").removeprefix("£")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(
            column, f"{quoted(value)} is not an amount: use digits, like 1250000.00"
        ) from None
    if not number.is_finite():
        raise CellError(column, not_finite_problem(value))
    return number


def optional_int(cells: dict[str, str], column: str) -> int | None:
    value = text(cells, column)
    if not value:
        return None
    digits = value.replace(",", "")
    if not re.fullmatch(r"\d{1,18}", digits):
        if re.fullmatch(r"\d+", digits):
            raise CellError(column, f"{quoted(value)} is too large a number")
        raise CellError(column, f"{quoted(value)} is not a whole number")
    return int(digits)


def optional_float(cells: dict[str, str], column: str) -> float | None:
    value = text(cells, column)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise CellError(column, f"{quoted(value)} is not a number") from None
    if not math.isfinite(number) or is_non_finite_word(value):
        raise CellError(column, not_finite_problem(value))
    return number


def choice(cells: dict[str, str], column: str, choices: Any, *, required: bool = True) -> str:
    value = text(cells, column, required=required)
    if not value and not required:
        return ""
    allowed = {code for code, _ in choices.choices}
    labels = {label.lower(): code for code, label in choices.choices}
    if value in allowed:
        return value
    if value.lower() in labels:
        return labels[value.lower()]
    raise CellError(column, f"{quoted(value)} is not one of: {', '.join(sorted(allowed))}")


def split(cells: dict[str, str], column: str) -> list[str]:
    return [item.strip() for item in cells.get(column, "").split(";") if item.strip()]
