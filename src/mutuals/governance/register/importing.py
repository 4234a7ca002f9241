"""Importing a provider's register from up to three tables (CSV or XLSX), all or nothing.

- **people**: ``reference``, ``name``, ``role_group`` (frontline, manager, senior,
  non_staff), optional ``employed_from``, ``employed_until``, ``member_from``,
  ``member_until`` and ``user`` (the sign-in name or email of their account, so they can
  vote). Only an account holding a role in the provider may be linked, and one account to
  one register entry; every change of link is its own audit event. A reference already on
  the register updates that person; nobody is removed.
- **holdings**: ``reference``, ``share_class``, ``shares``, ``valid_from``, optional
  ``valid_until``, ``votes_per_share`` and ``carries_equity`` (for a class not yet
  recorded). A new number of shares from a later date closes the current holding and opens
  a new one (see :mod:`mutuals.governance.register.holdings`); 0 closes it.
- **board seats**: ``holder_name``, ``filled_by`` (staff_elected, appointed,
  commissioner_nominee, independent), ``held_from``, optional ``held_until``,
  ``is_executive`` (yes or no) and ``reference`` (the holder's register entry). A seat is
  matched on holder and start date.

The three tables are one transaction: a problem anywhere imports nothing, and every
problem is named by table, row and column. Every change is in the audit trail.

A cell the export wrote with a quote before formula text (``'=...``, so a spreadsheet does
not run it) is read without that quote, so importing an export changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from mutuals.accounts import audit
from mutuals.accounts.models import Role
from mutuals.errors import ImportRejected, Problem
from mutuals.governance.models.register import (
    BoardSeat,
    Person,
    RoleGroup,
    SeatFilledBy,
    ShareClass,
)
from mutuals.governance.register.holdings import HoldingChange, record_holding
from mutuals.registry.models import Organisation
from mutuals.returns.cells import quoted
from mutuals.tabular import CellError, choice, import_table, optional_date, optional_decimal, text

TABLES = ("people", "holdings", "board")
TABLE_NAMES = {"people": "people", "holdings": "holdings", "board": "board seats"}
PEOPLE_REQUIRED = ("reference", "name", "role_group")
PEOPLE_OPTIONAL = ("employed_from", "employed_until", "member_from", "member_until", "user")
HOLDINGS_REQUIRED = ("reference", "share_class", "shares", "valid_from")
HOLDINGS_OPTIONAL = ("valid_until", "votes_per_share", "carries_equity")
BOARD_REQUIRED = ("holder_name", "filled_by", "held_from")
BOARD_OPTIONAL = ("held_until", "is_executive", "reference")
PERSON_FIELDS = ("name", "role_group", "employed_from", "employed_until", "member_from",
                 "member_until")  # fmt: skip
SEAT_FIELDS = ("filled_by", "is_executive", "held_until", "person_id")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class RegisterRejected(ImportRejected):
    """A register table has problems, so nothing in any table was imported."""

    def __init__(self, table: str, problems: list[Problem], rows: int):
        super().__init__(problems, rows)
        self.table = table
        bad_rows = len({problem.row for problem in problems})
        self.args = (
            f"Nothing was imported: the {TABLE_NAMES[table]} table has {len(problems)} "
            f"problem(s) in {bad_rows} of {rows} row(s)",
        )


@dataclass
class Tally:
    created: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> bool:
        setattr(self, outcome, getattr(self, outcome) + 1)
        return outcome == "created"


@dataclass
class RegisterReport:
    tallies: dict[str, Tally] = field(default_factory=dict)

    def sentence(self) -> str:
        parts = [
            f"{TABLE_NAMES[name]}: {t.created} added, {t.changed} changed, {t.unchanged} unchanged"
            for name, t in self.tallies.items()
        ]
        return "; ".join(parts) + "."


def import_register(
    organisation: Organisation,
    *,
    people: Path | str | None = None,
    holdings: Path | str | None = None,
    board: Path | str | None = None,
    user=None,
) -> RegisterReport:
    """Import whichever tables are given into ``organisation``'s register, all or nothing."""
    files = {"people": people, "holdings": holdings, "board": board}
    if not any(files.values()):
        raise RegisterRejected(
            "people", [Problem(0, "", "give at least one table: people, holdings or board")], 0
        )
    report = RegisterReport()
    steps = {"people": _people, "holdings": _holdings, "board": _board}
    with transaction.atomic():
        for name in TABLES:
            if files[name] is None:
                continue
            tally = report.tallies.setdefault(name, Tally())
            required, optional, prepare = steps[name](organisation, tally, user)
            try:
                # A register needs the day of a date cell, not the month returns mean.
                import_table(
                    files[name],
                    required=required,
                    optional=optional,
                    prepare=prepare,
                    whole_dates=True,
                )
            except ImportRejected as rejected:
                raise RegisterRejected(name, rejected.problems, rejected.rows) from None
    return report


# --- people ----------------------------------------------------------------------------------


def _people(organisation, tally: Tally, user):
    seen: dict[str, int] = {}
    existing = {p.reference: p for p in Person.objects.filter(organisation=organisation)}
    accounts = Accounts(organisation)

    def prepare(cells, row):
        reference = _reference(cells, row, seen)
        person = existing.get(reference)
        before = _fields(person, PERSON_FIELDS) if person else {}
        linked_before = person.user_id if person else None
        person = person or Person(organisation=organisation, reference=reference)
        person.name = text(cells, "name", required=True)
        person.role_group = choice(cells, "role_group", RoleGroup)
        for column in ("employed_from", "employed_until", "member_from", "member_until"):
            setattr(person, column, optional_date(cells, column))
        person.user_id = accounts.claim(cells, row, reference)
        _ends_after(cells, "employed_from", "employed_until", person)
        _ends_after(cells, "member_from", "member_until", person)
        # Uniqueness is the `seen` check; the date rules are checked just above, by column.
        person.full_clean(validate_unique=False, validate_constraints=False)
        after = _fields(person, PERSON_FIELDS)

        def save() -> bool:
            relinked = linked_before != person.user_id
            if before and before == after and not relinked:
                return tally.add("unchanged")
            created = not before
            person.save()
            if not before or before != after:
                audit.record(
                    "register-person-added" if created else "register-person-changed",
                    user=user,
                    obj=person,
                    organisation=organisation,
                    changes=audit.diff(before, after),
                )
            if relinked:
                accounts.record_link(person, linked_before, user)
            return tally.add("created" if created else "changed")

        return save

    return PEOPLE_REQUIRED, PEOPLE_OPTIONAL, prepare


def _ends_after(cells, start: str, end: str, obj) -> None:
    begun, ended = getattr(obj, start), getattr(obj, end)
    if begun is not None and ended is not None and ended <= begun:
        raise CellError(end, f"{ended} is not after {start} {begun}")


def _reference(cells, row, seen: dict[str, int]) -> str:
    reference = text(cells, "reference", required=True)
    if reference in seen:
        raise CellError("reference", f"{quoted(reference)} repeats row {seen[reference]}")
    seen[reference] = row
    return reference


class Accounts:
    """The accounts a provider's register may link to: those holding a role in it.

    An account without a role there is treated as unknown, with the same words, so the
    file cannot be used to learn who has an account elsewhere on the site. One account
    belongs to at most one register entry of the provider."""

    def __init__(self, organisation):
        self.organisation = organisation
        members = get_user_model().objects.filter(
            pk__in=Role.objects.filter(organisation=organisation).values("user_id")
        )
        self.names = {pk: name for pk, name in members.values_list("pk", "username")}
        self.by_name = {name.lower(): pk for pk, name in self.names.items()}
        self.by_email: dict[str, set[int]] = {}
        for pk, email in members.exclude(email="").values_list("pk", "email"):
            self.by_email.setdefault(email.lower(), set()).add(pk)
        self.claimed: dict[int, tuple[int, str]] = {}  # account → (row, reference) in this file

    def claim(self, cells, row: int, reference: str) -> int | None:
        """The account named in the row's ``user`` cell, checked; None for an empty cell."""
        given = text(cells, "user")
        if not given:
            return None
        found = self._find(given)
        if found in self.claimed:
            earlier_row, earlier = self.claimed[found]
            raise CellError(
                "user",
                f"{quoted(given)} is also the account given for {quoted(earlier)} at row {earlier_row}: "
                "an account belongs to one register entry",
            )
        holder = (
            Person.objects.filter(organisation=self.organisation, user_id=found)
            .exclude(reference=reference)
            .values_list("reference", flat=True)
            .first()
        )
        if holder is not None:
            raise CellError(
                "user",
                f"{quoted(given)} is the account of register entry {quoted(holder)}: an account belongs "
                f"to one entry, so clear the user cell of {quoted(holder)} first (in an earlier row "
                "or an earlier import)",
            )
        self.claimed[found] = (row, reference)
        return found

    def _find(self, given: str) -> int:
        key = given.lower()
        if key in self.by_name:
            return self.by_name[key]
        matches = self.by_email.get(key, set())
        if len(matches) > 1:
            raise CellError(
                "user",
                f"more than one account with a role at {self.organisation.name} has the email "
                f"{quoted(given)}: give the user name instead",
            )
        if not matches:
            raise CellError(
                "user",
                f"no one with a role at {self.organisation.name} has the user name or email "
                f"{quoted(given)}",
            )
        return next(iter(matches))

    def record_link(self, person: Person, before: int | None, user) -> None:
        """An audit event of its own for every change of the account a person votes with."""
        if person.user_id is None:
            action = "register-account-unlinked"
        elif before is None:
            action = "register-account-linked"
        else:
            action = "register-account-relinked"
        audit.record(
            action,
            user=user,
            obj=person,
            organisation=self.organisation,
            changes={"account": [self._name(before), self._name(person.user_id)]},
        )

    def _name(self, pk: int | None) -> str | None:
        if pk is None:
            return None
        if pk not in self.names:  # a link made before roles were required
            model = get_user_model()
            self.names[pk] = (
                model.objects.filter(pk=pk).values_list(model.USERNAME_FIELD, flat=True).first()
                or f"account {pk}"
            )
        return self.names[pk]


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


# --- holdings --------------------------------------------------------------------------------


def _holdings(organisation, tally: Tally, user):
    seen: dict[tuple, int] = {}
    people = _people_by_reference(organisation)
    classes = {c.name: c for c in ShareClass.objects.filter(organisation=organisation)}

    def prepare(cells, row):
        person = _person(people, cells, "reference", required=True)
        class_name = text(cells, "share_class", required=True)
        shares = optional_decimal(cells, "shares", required=True)
        if shares < 0:
            raise CellError(
                "shares", f"{quoted(cells['shares'])} is negative: holdings are 0 or more"
            )
        start = optional_date(cells, "valid_from", required=True)
        end = optional_date(cells, "valid_until")
        if end is not None and end <= start:
            raise CellError("valid_until", f"{end} is not after valid_from {start}")
        key = (person.reference, class_name, start)
        if key in seen:
            raise CellError("valid_from", f"repeats row {seen[key]} (same person, class, date)")
        seen[key] = row
        share_class = _share_class(organisation, classes, cells, class_name, user)
        change = HoldingChange(person, share_class, shares, start, end)

        def save() -> bool:
            return tally.add(record_holding(change, user=user))  # a conflict is a CellError

        return save

    return HOLDINGS_REQUIRED, HOLDINGS_OPTIONAL, prepare


def _people_by_reference(organisation) -> dict[str, Person]:
    people = Person.objects.filter(organisation=organisation).select_related("organisation")
    return {person.reference: person for person in people}


def _person(people: dict[str, Person], cells, column: str, *, required: bool) -> Person | None:
    reference = text(cells, column, required=required)
    if not reference:
        return None
    person = people.get(reference)
    if person is None:
        raise CellError(column, f"nobody on the register has the reference {quoted(reference)}")
    return person


def _share_class(organisation, classes: dict, cells, name: str, user) -> ShareClass:
    votes = optional_decimal(cells, "votes_per_share")
    equity = _yes_no(cells, "carries_equity")
    existing = classes.get(name)
    if existing is None:
        share_class = ShareClass(
            organisation=organisation,
            name=name,
            votes_per_share=Decimal(1) if votes is None else votes,
            carries_equity=True if equity is None else equity,
        )
        share_class.full_clean()
        share_class.save()
        classes[name] = share_class
        audit.record(
            "share-class-added",
            user=user,
            obj=share_class,
            organisation=organisation,
            changes={"name": [None, name], "votes_per_share": [None, str(votes or 1)]},
        )
        return share_class
    if votes is not None and votes != existing.votes_per_share:
        raise CellError(
            "votes_per_share",
            f"the class {quoted(name)} carries {existing.votes_per_share.normalize():f} vote(s) per "
            "share; leave the cell empty or give the same number",
        )
    if equity is not None and equity != existing.carries_equity:
        raise CellError(
            "carries_equity",
            f"the class {quoted(name)} is recorded as {'' if existing.carries_equity else 'not '}"
            "carrying equity; leave the cell empty or give the same answer",
        )
    return existing


def _yes_no(cells, column: str) -> bool | None:
    value = text(cells, column).lower()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellError(column, f"{quoted(cells[column])} is not yes or no")


# --- board seats -----------------------------------------------------------------------------


def _board(organisation, tally: Tally, user):
    seen: dict[tuple, int] = {}
    people = _people_by_reference(organisation)

    def prepare(cells, row):
        holder = text(cells, "holder_name", required=True)
        start = optional_date(cells, "held_from", required=True)
        key = (holder.lower(), start)
        if key in seen:
            raise CellError("held_from", f"repeats row {seen[key]} (same holder and start)")
        seen[key] = row
        seat = BoardSeat.objects.filter(
            organisation=organisation, holder_name__iexact=holder, held_from=start
        ).first()
        before = _fields(seat, SEAT_FIELDS) if seat else {}
        seat = seat or BoardSeat(organisation=organisation, holder_name=holder, held_from=start)
        seat.filled_by = choice(cells, "filled_by", SeatFilledBy)
        seat.held_until = optional_date(cells, "held_until")
        seat.is_executive = bool(_yes_no(cells, "is_executive"))
        person = _person(people, cells, "reference", required=False)
        seat.person_id = person.pk if person else None
        _ends_after(cells, "held_from", "held_until", seat)
        seat.full_clean(validate_constraints=False)
        after = _fields(seat, SEAT_FIELDS)

        def save() -> bool:
            if before and before == after:
                return tally.add("unchanged")
            created = not before
            seat.save()
            audit.record(
                "board-seat-added" if created else "board-seat-changed",
                user=user,
                obj=seat,
                organisation=organisation,
                changes=audit.diff(before, after),
            )
            return tally.add("created" if created else "changed")

        return save

    return BOARD_REQUIRED, BOARD_OPTIONAL, prepare
