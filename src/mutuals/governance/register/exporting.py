"""Exporting a provider's register in the import's columns, so a file can go round trip.

Holdings are exported with their whole history (closed rows carry ``valid_until``); importing
the export again changes nothing. Text that a spreadsheet would run as a formula is written
with a leading quote (:mod:`mutuals.exports`), which the importer takes off again.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mutuals.exports import neutralise_text
from mutuals.governance.models.register import BoardSeat, Holding, Person
from mutuals.governance.register.importing import (
    BOARD_OPTIONAL,
    BOARD_REQUIRED,
    HOLDINGS_OPTIONAL,
    HOLDINGS_REQUIRED,
    PEOPLE_OPTIONAL,
    PEOPLE_REQUIRED,
)
from mutuals.registry.models import Organisation

COLUMNS = {
    "people": PEOPLE_REQUIRED + PEOPLE_OPTIONAL,
    "holdings": HOLDINGS_REQUIRED + HOLDINGS_OPTIONAL,
    "board": BOARD_REQUIRED + BOARD_OPTIONAL,
}


def _text(value) -> str:
    """A cell's text: stored text neutralised, as the file is opened in spreadsheets;
    numbers, dates and yes/no as written, since they are never formulas."""
    if isinstance(value, str):
        return neutralise_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "normalize"):
        return f"{value.normalize():f}"
    return str(value)


def people_rows(organisation: Organisation):
    people = Person.objects.filter(organisation=organisation).select_related("user")
    for p in people.order_by("reference"):
        yield (p.reference, p.name, p.role_group, p.employed_from, p.employed_until,
               p.member_from, p.member_until, p.user.get_username() if p.user else None)  # fmt: skip


def holding_rows(organisation: Organisation):
    holdings = Holding.objects.filter(person__organisation=organisation).select_related(
        "person", "share_class"
    )
    for h in holdings.order_by("person__reference", "share_class__name", "valid_from"):
        c = h.share_class
        yield (h.person.reference, c.name, h.shares, h.valid_from, h.valid_until,
               c.votes_per_share, c.carries_equity)  # fmt: skip


def board_rows(organisation: Organisation):
    seats = BoardSeat.objects.filter(organisation=organisation).select_related("person")
    for s in seats.order_by("held_from", "holder_name"):
        yield (s.holder_name, s.filled_by, s.held_from, s.held_until, s.is_executive,
               s.person.reference if s.person else None)  # fmt: skip


ROWS = {"people": people_rows, "holdings": holding_rows, "board": board_rows}


def register_csv(organisation: Organisation, table: str) -> str:
    """One table of the register as CSV text, in spreadsheets' own dialect: its line ends
    are CRLF, so a carriage return inside a cell is quoted rather than ending the row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS[table])
    for row in ROWS[table](organisation):
        writer.writerow([_text(value) for value in row])
    return out.getvalue()


def export_register(organisation: Organisation, folder: Path | str) -> dict[str, Path]:
    """Write people.csv, holdings.csv and board.csv into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in COLUMNS:
        path = folder / f"{table}.csv"
        path.write_text(register_csv(organisation, table), encoding="utf-8", newline="")
        written[table] = path
    return written
