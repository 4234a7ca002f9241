"""Domain errors, each with a message a person can act on.

The CLI, the web pages and the API each render these in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


class MutualsError(Exception):
    """Base class for problems a user can fix."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one cell (or, with row 0, with the file as a whole)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row == 0:
            return f"column {self.column}: {self.reason}" if self.column else self.reason
        if not self.column:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {self.reason}"


class FileUnreadable(MutualsError):
    """The file cannot be read as a table at all."""


class ImportRejected(MutualsError):
    """Validation found problems, so nothing was imported."""

    def __init__(self, problems: list[Problem], rows: int):
        self.problems = problems
        self.rows = rows
        bad_rows = len({problem.row for problem in problems})
        super().__init__(
            f"Nothing was imported: {len(problems)} problem(s) in {bad_rows} of {rows} row(s)"
        )
