"""A ballot's life: create, freeze the electorate, open, close, and the scheduled tick.

Each step takes the ballot's row lock (``select_for_update``; on SQLite the project's
``IMMEDIATE`` transactions already hold the database's write lock), checks the stage, does
its work and appends its log entry in one transaction. Managers' steps are recorded in the
audit trail as well; casting never is (see :mod:`mutuals.governance.ballots.casting`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.governance.ballots import chain, secrecy
from mutuals.governance.ballots.casting import local_moment
from mutuals.governance.ballots.errors import BallotInvalid, LogAltered, WrongStage
from mutuals.governance.models import (
    Ballot,
    BallotOption,
    BallotStatus,
    CountsAs,
    Elector,
    Person,
    RoleGroup,
    StaffVoteRecord,
    Vote,
)
from mutuals.governance.models.register import employed_on, member_on
from mutuals.registry.models import Organisation, OrganisationKind

MAX_OPTIONS = 20
SUBJECTS = tuple(StaffVoteRecord.Subject.values)
# Spin-out and constitution ballots feed the staff-control assessment as for / against.
# Each of their options says how it counts (``counts_as``): the draft names the option in
# favour and the one against; any others count as abstentions.
RECORDED_SUBJECTS = (StaffVoteRecord.Subject.SPIN_OUT, StaffVoteRecord.Subject.CONSTITUTION)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BallotDraft:
    """What a new ballot needs; :func:`create_ballot` checks it all at once."""

    organisation: Organisation
    question: str
    options: list[str]
    electorate_date: date
    opens_at: datetime
    closes_at: datetime
    subject: str = StaffVoteRecord.Subject.OTHER
    members_only: bool = False
    for_option: str = ""
    against_option: str = ""

    def counts_as(self) -> dict[str, str]:
        """Each option's label → how it counts; empty unless the subject is recorded."""
        if self.subject not in RECORDED_SUBJECTS:
            return {}
        for_label = self.for_option.strip().casefold()
        against_label = self.against_option.strip().casefold()
        labels = [label.strip() for label in self.options if label.strip()]
        return {
            label: CountsAs.FOR
            if label.casefold() == for_label
            else CountsAs.AGAINST
            if label.casefold() == against_label
            else CountsAs.ABSTAIN
            for label in labels
        }


def problems_in(draft: BallotDraft) -> dict[str, str]:
    problems: dict[str, str] = {}
    if draft.organisation.kind != OrganisationKind.PROVIDER:
        problems["organisation"] = (
            f"{draft.organisation.name} is not a provider: ballots are of a provider's staff"
        )
    question = draft.question.strip()
    if not question:
        problems["question"] = "Enter the question the staff are asked"
    elif len(question) > 300:
        problems["question"] = "The question must be 300 characters or fewer"
    labels = [label.strip() for label in draft.options if label.strip()]
    if len(labels) < 2:
        problems["options"] = "Give at least two options"
    elif len(labels) > MAX_OPTIONS:
        problems["options"] = f"Give at most {MAX_OPTIONS} options"
    elif len({label.casefold() for label in labels}) < len(labels):
        problems["options"] = "Each option must be different"
    elif any(len(label) > 200 for label in labels):
        problems["options"] = "Each option must be 200 characters or fewer"
    if draft.subject not in SUBJECTS:
        problems["subject"] = f"The subject must be one of {', '.join(SUBJECTS)}"
    elif "options" not in problems:
        problems |= _counting_problems(draft, labels)
    if draft.closes_at <= draft.opens_at:
        problems["closes_at"] = "The closing time must be after the opening time"
    if draft.electorate_date > timezone.localdate(draft.opens_at):
        problems["electorate_date"] = "The electorate date must be on or before the opening day"
    return problems


def _counting_problems(draft: BallotDraft, labels: list[str]) -> dict[str, str]:
    """A spin-out or constitution ballot must say which option is for and which against,
    each one of its options; other ballots must not."""
    chosen = {
        "for_option": draft.for_option.strip(),
        "against_option": draft.against_option.strip(),
    }
    if draft.subject not in RECORDED_SUBJECTS:
        return {
            name: "Only spin-out and constitution ballots count options as for or against: "
            "leave this blank"
            for name, value in chosen.items()
            if value
        }
    problems = {}
    folded = {label.casefold() for label in labels}
    for name, side in (("for_option", "in favour"), ("against_option", "against")):
        value = chosen[name]
        if not value:
            problems[name] = (
                f"Enter the option that counts as {side}: the staff-control assessment "
                "reads this ballot's result"
            )
        elif value.casefold() not in folded:
            problems[name] = (
                f"The option that counts as {side} must be one of the options exactly; "
                f"{value!r} is not one of {', '.join(labels)}"
            )
    if not problems and chosen["for_option"].casefold() == chosen["against_option"].casefold():
        problems["against_option"] = "The option against must differ from the option in favour"
    return problems


def create_ballot(draft: BallotDraft, *, user=None, now: datetime | None = None) -> Ballot:
    problems = problems_in(draft)
    if problems:
        raise BallotInvalid(problems)
    labels = [label.strip() for label in draft.options if label.strip()]
    with transaction.atomic():
        ballot = Ballot.objects.create(
            organisation=draft.organisation,
            question=draft.question.strip(),
            subject=draft.subject,
            electorate_date=draft.electorate_date,
            members_only=draft.members_only,
            opens_at=draft.opens_at,
            closes_at=draft.closes_at,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        counts_as = draft.counts_as()
        BallotOption.objects.bulk_create(
            BallotOption(ballot=ballot, position=n, label=label, counts_as=counts_as.get(label, ""))
            for n, label in enumerate(labels, start=1)
        )
        payload = {
            "question": ballot.question,
            "options": labels,
            "subject": ballot.subject,
            "electorate_date": ballot.electorate_date.isoformat(),
            "members_only": ballot.members_only,
            "opens_at": _iso(ballot.opens_at),
            "closes_at": _iso(ballot.closes_at),
        }
        if counts_as:
            payload["counts_as"] = [str(counts_as[label]) for label in labels]
        chain.append(ballot, "create", payload, at=now)
        audit.record("ballot-create", user=user, obj=ballot, organisation=draft.organisation)
    return ballot


def locked(ballot_id: int) -> Ballot:
    """The ballot, with its row locked until the transaction ends."""
    ballot = Ballot.objects.select_for_update().filter(pk=ballot_id).first()
    if ballot is None:
        raise Ballot.DoesNotExist(f"There is no ballot {ballot_id}.")
    return ballot


def electorate(ballot: Ballot):
    """The register entries that make up the electorate, as the register stands now."""
    day = ballot.electorate_date
    people = (
        Person.objects.filter(organisation_id=ballot.organisation_id)
        .exclude(role_group=RoleGroup.NON_STAFF)
        .filter(employed_on(day))
    )
    return people.filter(member_on(day)) if ballot.members_only else people


def freeze(ballot_id: int, *, user=None, now: datetime | None = None) -> Ballot:
    """Fix the electorate: one elector per eligible person, its hash logged."""
    today = timezone.localdate(now) if now else timezone.localdate()
    with transaction.atomic():
        ballot = locked(ballot_id)
        if ballot.status != BallotStatus.DRAFT:
            raise WrongStage(f"Ballot {ballot.pk} is {_stage(ballot)}: only a draft is frozen.")
        if ballot.electorate_date > today:
            raise WrongStage(
                f"The electorate date {ballot.electorate_date:%-d %B %Y} is still to come: "
                "freeze the ballot on or after that day, when the register for it is known."
            )
        people = list(electorate(ballot).values_list("pk", "reference"))
        if not people:
            raise WrongStage(
                f"Nobody on {ballot.organisation.name}'s register is staff employed"
                f"{' and a member' if ballot.members_only else ''} on "
                f"{ballot.electorate_date:%-d %B %Y}: check the register and the date."
            )
        Elector.objects.bulk_create(
            (Elector(ballot=ballot, person_id=pk) for pk, _ in people), batch_size=2000
        )
        digest, size = secrecy.electorate_hash(reference for _, reference in people)
        ballot.electorate_hash, ballot.electorate_size = digest, size
        ballot.status = BallotStatus.FROZEN
        ballot.save(update_fields=["electorate_hash", "electorate_size", "status"])
        chain.append(
            ballot,
            "freeze",
            {
                "electorate_date": ballot.electorate_date.isoformat(),
                "members_only": ballot.members_only,
                "electorate_size": size,
                "electorate_hash": digest,
            },
            at=now,
        )
        audit.record("ballot-freeze", user=user, obj=ballot, organisation=ballot.organisation)
    return ballot


def open_ballot(ballot_id: int, *, user=None, now: datetime | None = None) -> Ballot:
    """Open voting. Opening before the set time brings the opening time forward (logged)."""
    now = now or timezone.now()
    with transaction.atomic():
        ballot = locked(ballot_id)
        if ballot.status == BallotStatus.DRAFT:
            raise WrongStage(
                f"Ballot {ballot.pk} is a draft: freeze its electorate before opening it."
            )
        if ballot.status != BallotStatus.FROZEN:
            raise WrongStage(f"Ballot {ballot.pk} is {_stage(ballot)}: it cannot open again.")
        if ballot.closes_at <= now:
            raise WrongStage(
                f"Ballot {ballot.pk} was due to close at {local_moment(ballot.closes_at)}: it can no "
                "longer open. Create a new ballot with later times."
            )
        early = ballot.opens_at > now
        if early:
            ballot.opens_at = now
        ballot.status = BallotStatus.OPEN
        ballot.save(update_fields=["opens_at", "status"])
        chain.append(
            ballot,
            "open",
            {
                "opens_at": _iso(ballot.opens_at),
                "closes_at": _iso(ballot.closes_at),
                "early": early,
            },
            at=now,
        )
        audit.record("ballot-open", user=user, obj=ballot, organisation=ballot.organisation)
    return ballot


def close_ballot(ballot_id: int, *, user=None, now: datetime | None = None) -> Ballot:
    """Close voting. Closing before the set time brings the closing time forward (logged).

    The ballot's votes are rewritten in receipt-digest order in the same transaction, so
    neither row order nor the rows' write transactions reflect the order they were cast in;
    once it commits, the space the old rows held is scrubbed (:func:`scrub_old_votes`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        ballot = locked(ballot_id)
        if ballot.status != BallotStatus.OPEN:
            raise WrongStage(f"Ballot {ballot.pk} is {_stage(ballot)}: only an open one closes.")
        early = ballot.closes_at > now
        if early:
            ballot.closes_at = max(now, ballot.opens_at + timedelta(microseconds=1))
        ballot.status = BallotStatus.CLOSED
        ballot.save(update_fields=["closes_at", "status"])
        votes = rewrite_votes(ballot)
        transaction.on_commit(scrub_old_votes)
        chain.append(
            ballot,
            "close",
            {"closes_at": _iso(ballot.closes_at), "early": early, "votes": votes},
            at=now,
        )
        audit.record("ballot-close", user=user, obj=ballot, organisation=ballot.organisation)
    return ballot


def rewrite_votes(ballot: Ballot) -> int:
    """Delete and re-insert the ballot's votes sorted by receipt digest (keys, options and
    seals unchanged). On SQLite the deleted rows' space is overwritten with zeros
    (``secure_delete``), so the old rows in casting order do not linger in free pages."""
    secure = connection.vendor == "sqlite"
    if secure:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete")
            before = cursor.fetchone()[0]
            cursor.execute("PRAGMA secure_delete = ON")
    try:
        return _rewrite(ballot)
    finally:
        if secure:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA secure_delete = {int(before)}")


def _rewrite(ballot: Ballot) -> int:
    rows = list(
        Vote.objects.filter(ballot=ballot)
        .order_by("receipt_digest")
        .values_list("id", "option_id", "receipt_digest", "seal")
    )
    Vote.objects.filter(ballot=ballot).delete()
    Vote.objects.bulk_create(
        (
            Vote(id=pk, ballot=ballot, option_id=option, receipt_digest=digest, seal=seal)
            for pk, option, digest, seal in rows
        ),
        batch_size=2000,
    )
    return len(rows)


def scrub_old_votes() -> None:
    """After a close commits, outside any transaction: on SQLite, checkpoint and truncate
    the write-ahead log, which still holds the pages as they were while voting was open; on
    PostgreSQL, vacuum the vote table so its dead rows are freed. Neither erases copies the
    operating system, the PostgreSQL write-ahead log or a backup already holds; a failure
    is logged, not raised (the close itself has committed)."""
    if connection.in_atomic_block:
        return
    table = connection.ops.quote_name(Vote._meta.db_table)
    statement = {
        "sqlite": "PRAGMA wal_checkpoint(TRUNCATE)",
        "postgresql": f"VACUUM {table}",
    }.get(connection.vendor)
    if statement is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as error:
        log.warning("Could not scrub the vote table after a close (%s): %s", statement, error)


@dataclass
class TickReport:
    opened: list[Ballot] = field(default_factory=list)
    closed: list[Ballot] = field(default_factory=list)
    # Closed earlier without a result (the tally after the close failed): published now.
    published: list[Ballot] = field(default_factory=list)
    waiting: list[tuple[Ballot, str]] = field(default_factory=list)


def tick(*, now: datetime | None = None) -> TickReport:
    """Open frozen ballots whose opening time has come; close and tally open ballots whose
    closing time has passed; publish the result of any closed ballot that lacks one (its
    tally failed after the close, which is a transaction of its own). Drafts due to open are
    reported, not frozen: a person freezes an electorate. A ballot whose log was altered
    outside Mutuals is reported and left as it is, without holding up the others. Run it
    every minute or so (``mutuals ballot tick``)."""
    from mutuals.governance.ballots.tally import tally

    now = now or timezone.now()
    report = TickReport()
    for ballot in Ballot.objects.filter(status=BallotStatus.CLOSED).order_by("pk"):
        try:
            report.published.append(tally(ballot.pk, now=now))
        except WrongStage:  # a manager published it in the meantime
            continue
        except LogAltered:
            report.waiting.append((ballot, _altered(ballot)))
    due = Ballot.objects.filter(opens_at__lte=now)
    for ballot in due.filter(status=BallotStatus.FROZEN, closes_at__gt=now).order_by("pk"):
        try:
            report.opened.append(open_ballot(ballot.pk, now=now))
        except LogAltered:
            report.waiting.append((ballot, _altered(ballot)))
    for ballot in due.filter(status=BallotStatus.OPEN, closes_at__lte=now).order_by("pk"):
        try:
            close_ballot(ballot.pk, now=now)
            report.closed.append(tally(ballot.pk, now=now))
        except LogAltered:
            report.waiting.append((ballot, _altered(ballot)))
    for ballot in due.filter(status=BallotStatus.DRAFT).order_by("pk"):
        report.waiting.append((ballot, "its electorate is not frozen"))
    for ballot in due.filter(status=BallotStatus.FROZEN, closes_at__lte=now).order_by("pk"):
        report.waiting.append((ballot, "its closing time passed before it opened"))
    return report


def _altered(ballot: Ballot) -> str:
    """Why a due ballot was left as it is: one altered log stops only its own ballot."""
    return (
        "its log was altered outside Mutuals, so nothing more is added to it; "
        f"`mutuals ballot verify {ballot.pk}` names what was altered"
    )


def _stage(ballot: Ballot) -> str:
    return {
        BallotStatus.DRAFT: "a draft",
        BallotStatus.FROZEN: "frozen but not open",
        BallotStatus.OPEN: "open",
        BallotStatus.CLOSED: "closed",
        BallotStatus.TALLIED: "closed with its result published",
    }[BallotStatus(ballot.status)]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
