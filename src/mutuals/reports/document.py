"""A report as data: sections of paragraphs, lists, tables and figures.

The builders (:mod:`mutuals.reports.portfolio`, :mod:`mutuals.reports.provider`)
fill these from the services; :mod:`mutuals.reports.render` lays them out as
HTML and PDF. Every table cell keeps the number it shows next to its text, so
a test can hold each figure in a report against the services and the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Value = float | int | Decimal | str | tuple | None


@dataclass(frozen=True)
class Cell:
    """One table cell: the words shown and the figure behind them."""

    text: str
    value: Value = None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    nowrap: bool = False  # short codes such as quarters, kept on one line


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    row_headers: bool = True  # the first cell of each row names the row
    kind: Literal["table"] = field(default="table", init=False)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.id}: a row has {len(row)} cells, not {len(self)}")

    def __len__(self) -> int:
        return len(self.columns)

    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.columns)

    @property
    def grid(self) -> tuple[tuple[tuple[Cell, Column], ...], ...]:
        """Each row's cells with their columns, for a template to lay out."""
        return tuple(tuple(zip(row, self.columns, strict=True)) for row in self.rows)

    def records(self) -> list[dict[str, Cell]]:
        """Each row as a mapping from column label to cell."""
        return [dict(zip(self.labels(), row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Figure:
    """A chart as inline SVG (from :mod:`mutuals.charts`), with its title and description."""

    id: str
    title: str
    svg: str
    description: str
    kind: Literal["figure"] = field(default="figure", init=False)


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: Literal["paragraph"] = field(default="paragraph", init=False)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    ordered: bool = False
    kind: Literal["bullets"] = field(default="bullets", init=False)


@dataclass(frozen=True)
class Terms:
    """A list of terms and their descriptions (the methods appendix)."""

    items: tuple[tuple[str, str], ...]
    kind: Literal["terms"] = field(default="terms", init=False)


@dataclass(frozen=True)
class Subheading:
    id: str
    text: str
    kind: Literal["subheading"] = field(default="subheading", init=False)


Block = Paragraph | Bullets | Terms | Subheading | Table | Figure


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]
    appendix: bool = False

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def table(self, id_: str) -> Table:
        return next(t for t in self.tables() if t.id == id_)

    def subheadings(self) -> list[Subheading]:
        return [b for b in self.blocks if isinstance(b, Subheading)]


@dataclass(frozen=True)
class RunInfo:
    """The evaluation run a report's impact figures come from."""

    pk: int
    fingerprint: str
    code_version: str
    created_at: datetime
    finished_at: datetime | None
    configuration: dict


@dataclass(frozen=True)
class Report:
    kind: Literal["portfolio", "provider"]
    title: str
    subtitle: str
    as_of: date
    generated_at: datetime
    demo: bool
    sections: tuple[Section, ...]
    run: RunInfo | None
    filename: str  # without extension, e.g. "value-for-money-2019-12-31"

    def section(self, id_: str) -> Section:
        return next(s for s in self.sections if s.id == id_)

    @property
    def body(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if not s.appendix)

    @property
    def appendices(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.appendix)

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables()]

    def table(self, id_: str) -> Table:
        return next(t for t in self.tables() if t.id == id_)

    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures()]
