"""Recording a constitution and a staff vote from the provider's papers, audited.

Both are new rows: a constitution from a date supersedes the earlier one without changing
it, and a vote recorded is never edited (a correction is a new record with its source).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from mutuals.accounts import audit
from mutuals.governance.models.register import Constitution, StaffVoteRecord
from mutuals.registry.models import Organisation


@dataclass(frozen=True)
class ConstitutionFacts:
    effective_from: date
    asset_lock: bool
    member_voting: str
    staff_membership_open: bool = True
    profit_reinvested_min: Decimal | None = None
    notes: str = ""


@dataclass(frozen=True)
class RecordedVote:
    subject: str
    held_on: date
    question: str
    electorate: int
    votes_for: int
    votes_against: int
    abstentions: int = 0
    source: str = ""


@transaction.atomic
def record_constitution(
    organisation: Organisation, facts: ConstitutionFacts, *, user=None
) -> Constitution:
    constitution = Constitution(organisation=organisation, **asdict(facts))
    constitution.full_clean()
    constitution.save()
    audit.record(
        "constitution-recorded",
        user=user,
        obj=constitution,
        organisation=organisation,
        changes=audit.diff({}, asdict(facts)),
    )
    return constitution


@transaction.atomic
def record_staff_vote(
    organisation: Organisation, vote: RecordedVote, *, user=None
) -> StaffVoteRecord:
    record = StaffVoteRecord(organisation=organisation, **asdict(vote))
    record.full_clean()
    record.save()
    audit.record(
        "staff-vote-recorded",
        user=user,
        obj=record,
        organisation=organisation,
        changes=audit.diff({}, asdict(vote)),
    )
    return record
