"""Changing what someone holds without losing what they held.

A holding runs from ``valid_from`` until ``valid_until`` (exclusive). A change from a date
closes the current row on that date and opens a new one; a holding of zero closes the
current row and opens nothing. Rows are never overwritten, so the register on any past
date can be read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from django.db.models import Q

from mutuals.accounts import audit
from mutuals.governance.models.register import Holding, Person, ShareClass
from mutuals.tabular import CellError

Outcome = Literal["created", "changed", "unchanged"]


class HoldingConflict(CellError):
    """A holding change contradicts the history already recorded (named by its column)."""


@dataclass(frozen=True)
class HoldingChange:
    person: Person
    share_class: ShareClass
    shares: Decimal
    valid_from: date
    valid_until: date | None = None


def record_holding(change: HoldingChange, *, user=None) -> Outcome:
    """Apply ``change`` to the history of the person's holding in the class."""
    rows = Holding.objects.filter(person=change.person, share_class=change.share_class)
    same_start = rows.filter(valid_from=change.valid_from).first()
    if same_start is not None:
        return _restate(same_start, change, user)
    current = rows.filter(valid_until__isnull=True).first()
    if current is not None and change.valid_from > current.valid_from:
        if change.shares == current.shares and change.valid_until is None:
            return "unchanged"
        _close(current, change.valid_from, user)
        if change.shares > 0:
            _open(change, user)
        return "changed"
    _refuse_overlap(rows, change)
    if change.shares == 0:
        return "unchanged"
    _open(change, user)
    return "created"


def _restate(existing: Holding, change: HoldingChange, user) -> Outcome:
    """A row starting on the same date as one recorded: the same facts, or a closing date."""
    if existing.shares != change.shares:
        raise HoldingConflict(
            "shares",
            f"{change.person.reference} already holds {existing.shares.normalize():f} "
            f"{change.share_class.name} shares from {existing.valid_from}: record a change "
            "from a later date instead",
        )
    if change.valid_until is None or change.valid_until == existing.valid_until:
        return "unchanged"
    if existing.valid_until is not None:
        raise HoldingConflict(
            "valid_until",
            f"this holding already ended on {existing.valid_until}; it cannot end again",
        )
    _close(existing, change.valid_until, user)
    return "changed"


def _refuse_overlap(rows, change: HoldingChange) -> None:
    overlap = Q(valid_until__isnull=True) | Q(valid_until__gt=change.valid_from)
    if change.valid_until is not None:
        overlap &= Q(valid_from__lt=change.valid_until)
    clash = rows.filter(overlap).order_by("valid_from").first()
    if clash is not None:
        until = f" to {clash.valid_until}" if clash.valid_until else ""
        raise HoldingConflict(
            "valid_from",
            f"overlaps the holding from {clash.valid_from}{until} already recorded: a "
            "change must start after the current holding starts",
        )


def _open(change: HoldingChange, user) -> Holding:
    holding = Holding(
        person=change.person,
        share_class=change.share_class,
        shares=change.shares,
        valid_from=change.valid_from,
        valid_until=change.valid_until,
    )
    # Field checks only: the rules the constraints state (not negative, ends after it
    # starts, one current row) hold by construction here and in the importer's checks.
    holding.full_clean(validate_unique=False, validate_constraints=False)
    holding.save()
    audit.record(
        "holding-opened",
        user=user,
        obj=holding,
        organisation=change.person.organisation,
        changes={
            "person": [None, change.person.reference],
            "share_class": [None, change.share_class.name],
            "shares": [None, str(change.shares)],
            "valid_from": [None, str(change.valid_from)],
        },
    )
    return holding


def _close(holding: Holding, on: date, user) -> None:
    if on <= holding.valid_from:
        raise HoldingConflict(
            "valid_until", f"a holding from {holding.valid_from} cannot end on {on}"
        )
    holding.valid_until = on
    holding.save(update_fields=["valid_until"])
    audit.record(
        "holding-closed",
        user=user,
        obj=holding,
        organisation=holding.person.organisation,
        changes={"valid_until": [None, str(on)]},
    )
