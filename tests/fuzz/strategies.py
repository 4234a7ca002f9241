"""Hostile inputs for the importers: random bytes, valid headings over random cells, and a
valid row with one cell replaced, each written as CSV or XLSX; and JSON for OCDS."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from fuzz.files import csv_bytes, xlsx_bytes
from fuzz.importers import Importer

# Cells that broke, or nearly broke, an importer once, and their near relations.
NASTY = [
    "",
    " ",
    "-inf",
    "+Infinity",
    "nan",
    "1e999",
    "-0",
    "0",
    "-1",
    "1e-400",
    "99999999999999999999",
    "1,234",
    "£12",
    "=1+1",
    "@SUM(A1)",
    "-x",
    "'=x",
    "\t=1",
    "9999-Q4",
    "9999/00",
    "0000-Q1",
    "1800-Q1",
    "2011-Q5",
    "2011-13",
    "2011/13",
    "2011-02-30",
    "2011-04-01T00:00",
    "9999-12-31",
    "0001-01-01",
    "yes",
    "no",
    "NQX01",
    "5QX",
    "P1",
    "C-1",
    "Days",
    "strongly agree",
    "sickness-absence",
    "provider",
    "active",
    "frontline",
    "staff_elected",
    "increase",
    "x" * 300,
    "ＮＱＸ01",
    "\u202enqx",
    "a\r\nb",
    '"',
    "\ufeff",
    "\x00",
    "\x01",
]
cells = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))


def _printable_for_xlsx(text: str) -> str:
    """What a spreadsheet can hold: XML has no place for most control characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


@dataclass(frozen=True)
class HostileFile:
    kind: str
    suffix: str
    data: bytes

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return f"HostileFile({self.kind}, .{self.suffix}, {self.data[:300]!r})"


def _table(suffix: str, header, rows) -> bytes:
    if suffix == "csv":
        return csv_bytes(header, rows)
    clean = [[_printable_for_xlsx(str(cell)) for cell in row] for row in rows]
    return xlsx_bytes([_printable_for_xlsx(name) for name in header], clean)


@st.composite
def hostile_files(draw, importer: Importer) -> HostileFile:
    suffix = draw(st.sampled_from(["csv", "xlsx"]))
    kind = draw(st.sampled_from(["bytes", "random cells", "one cell", "columns"]))
    if kind == "bytes":
        return HostileFile(kind, suffix, draw(st.binary(max_size=400)))
    width = len(importer.header)
    if kind == "random cells":
        rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=4))
        return HostileFile(kind, suffix, _table(suffix, importer.header, rows))
    if kind == "one cell":
        row = list(importer.row)
        row[draw(st.integers(0, width - 1))] = draw(cells)
        rows = [row] * draw(st.integers(1, 2))  # twice: the same key repeated
        return HostileFile(kind, suffix, _table(suffix, importer.header, rows))
    header = list(importer.header)
    header[draw(st.integers(0, width - 1))] = draw(cells)  # a heading lost or misspelt
    return HostileFile(kind, suffix, _table(suffix, header, [importer.row]))


# --- OCDS ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cells,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(cells, children, max_size=3),
    max_leaves=12,
)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


@st.composite
def mutated_packages(draw, package: dict) -> dict:
    """``package`` with one value anywhere in it replaced by random JSON (or removed)."""
    mutated = copy.deepcopy(package)
    paths = [path for path in _paths(mutated) if path]
    path = draw(st.sampled_from(paths))
    parent = mutated
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return mutated
