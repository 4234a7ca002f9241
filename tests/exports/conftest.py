"""Formula text planted where people's words reach the product's exports.

Each planted value begins with one of the characters a spreadsheet starts a formula with
(``=``, ``+``, ``-``, ``@``, tab, carriage return). They are stored as the admin or a form
would store them, past the importers' refusal of formula text, as an export must cope
with whatever is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from accounts.conftest import _fast_hashing, people, sign_in  # noqa: F401
from mutuals.governance.models.register import (
    BoardSeat,
    Holding,
    Person,
    RoleGroup,
    SeatFilledBy,
    ShareClass,
)
from web.conftest import _fresh_cache, world  # noqa: F401

LINK = '=HYPERLINK("http://x","y")'
SUM = "+1+1"
SUBTRACTION = "-2+3"
AT = "@SUM(A1)"
TAB = "\tTabbed"
RETURN = "\rReturned"
FORMULAS = (LINK, SUM, SUBTRACTION, AT, TAB, RETURN)


def csv_rows(text: str) -> list[dict[str, str]]:
    """A CSV's rows by header, as the csv module reads them (tabs and returns kept)."""
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [row[name] for row in rows]


def assert_neutralised(cells: list[str], planted: str) -> None:
    """``planted`` is in the column as text a spreadsheet will not run, and never bare."""
    assert "'" + planted in cells, (planted, cells)
    assert planted not in cells, (planted, cells)


@pytest.fixture
def register(world):  # noqa: F811
    """Brackenford's register with formula text in every text column it exports: a person
    (reference and name), names with a tab and a return, a share class and a board seat."""
    health = world["health"]
    joined = dt.date(2011, 4, 1)
    staff = [
        Person.objects.create(organisation=health, reference=reference, name=name,
                              role_group=group, employed_from=dt.date(2010, 1, 1),
                              member_from=joined)
        for reference, name, group in (
            (AT, LINK, RoleGroup.FRONTLINE),
            ("P2", TAB, RoleGroup.MANAGER),
            ("P3", RETURN, RoleGroup.SENIOR),
        )
    ]  # fmt: skip
    shares = ShareClass.objects.create(
        organisation=health, name=SUM, votes_per_share=Decimal("1.5"), carries_equity=True
    )
    Holding.objects.create(person=staff[0], share_class=shares, shares=Decimal("2.5"),
                           valid_from=joined, valid_until=dt.date(2014, 4, 1))  # fmt: skip
    Holding.objects.create(
        person=staff[0], share_class=shares, shares=Decimal("3"), valid_from=dt.date(2014, 4, 1)
    )
    BoardSeat.objects.create(organisation=health, holder_name=SUBTRACTION, person=staff[1],
                             filled_by=SeatFilledBy.STAFF_ELECTED, held_from=dt.date(2012, 1, 1))  # fmt: skip
    return health


def register_state(organisation) -> dict[str, list]:
    """Everything an import could change in a register, to compare before and after."""
    return {
        "people": sorted(Person.objects.filter(organisation=organisation).values_list(
            "reference", "name", "role_group", "employed_from", "member_from")),
        "classes": sorted(ShareClass.objects.filter(organisation=organisation).values_list(
            "name", "votes_per_share", "carries_equity")),
        "holdings": sorted(Holding.objects.filter(person__organisation=organisation).values_list(
            "person__reference", "share_class__name", "shares", "valid_from", "valid_until")),
        "seats": sorted(BoardSeat.objects.filter(organisation=organisation).values_list(
            "holder_name", "filled_by", "held_from", "is_executive", "person__reference")),
    }  # fmt: skip
