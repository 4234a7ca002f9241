"""Casting a vote: once per elector, secret, with a receipt.

One transaction:

1. the ballot must be open and the time inside its window;
2. ``UPDATE elector SET has_voted = true WHERE id = <the voter's elector> AND has_voted =
   false`` must change exactly one row, so of any number of concurrent attempts by one
   voter exactly one counts (the database decides; the others see no row to change);
3. a :class:`~mutuals.governance.models.Vote` is inserted with a random key, the option,
   the receipt's digest and a seal: nothing about the voter, no time;
4. under the ballot's row lock (``select_for_update``; on SQLite the ``IMMEDIATE``
   transaction already holds the database's write lock), the ballot is checked open once
   more, a "cast" log entry is appended with no time and an empty payload after the log's
   sealed head, so the log stays a line, and the new head is sealed (see
   :mod:`.sealed_head`).

On SQLite, casts arriving together share one transaction, each in its own savepoint (see
:mod:`.group_commit`).

On PostgreSQL the commit does not wait for the disk while it holds the ballot's lock; the
disk is waited for just after, before the receipt is returned (see
:func:`_wait_until_durable`). A receipt is therefore never shown for a vote a crash could
lose.

Nothing else is written: no audit event, no session change, no "last seen" time, so no row
anywhere pairs the voter with the moment they voted. The receipt code is returned once and
never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from mutuals.governance.ballots import cast_sql, secrecy
from mutuals.governance.ballots.errors import AlreadyVoted, NotInElectorate, NotOpen, UnknownOption
from mutuals.governance.ballots.group_commit import GroupCommit
from mutuals.governance.models import Ballot, BallotOption, BallotStatus, Elector


@dataclass(frozen=True)
class Receipt:
    """What the voter is shown once: the code, and the digest the result page lists."""

    ballot_id: int
    code: str
    digest: str
    option_label: str

    @property
    def short(self) -> str:
        return secrecy.short(self.digest)


ALREADY_VOTED = (
    "You have already voted in this ballot. Your first vote is the one counted; use its "
    "receipt code to find it in the published result."
)


def cast_vote(ballot_id: int, user, option_id: int, *, now: datetime | None = None) -> Receipt:
    """Cast the signed-in ``user``'s vote for ``option_id``."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)

    def mark(cursor) -> None:
        if signed_in and cast_sql.mark_user_voted(cursor, ballot_id, user.pk) == 1:
            return
        if signed_in and cast_sql.elector_of_user(cursor, ballot_id, user.pk) is not None:
            raise AlreadyVoted(ALREADY_VOTED)
        raise not_in_electorate(Ballot.objects.select_related("organisation").get(pk=ballot_id))

    return _cast(ballot_id, option_id, mark, now)


def cast_as_elector(
    ballot_id: int, person_id: int, option_id: int, *, now: datetime | None = None
) -> Receipt:
    """Cast the vote of a register entry with no sign-in, for loading a ballot whose
    voters voted elsewhere (the demo's synthetic staff). No page or API reaches it."""

    def mark(cursor) -> None:
        found = (
            Elector.objects.filter(ballot_id=ballot_id, person_id=person_id)
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise NotInElectorate(f"Register entry {person_id} is not in ballot {ballot_id}.")
        if cast_sql.mark_voted(cursor, found) != 1:
            raise AlreadyVoted(ALREADY_VOTED)

    return _cast(ballot_id, option_id, mark, now)


@dataclass(frozen=True)
class _Sealed:
    """A vote's receipt code, random key and seal: made before the write, so the time
    spent holding the database's write lock is only the statements themselves."""

    code: str
    digest: str
    vote_id: uuid.UUID
    seal: str

    @classmethod
    def make(cls, ballot_id: int, option_id: int) -> _Sealed:
        code = secrecy.new_receipt_code()
        digest = secrecy.receipt_digest(ballot_id, code)
        vote_id = uuid.uuid4()
        return cls(code, digest, vote_id, secrecy.seal(ballot_id, vote_id, option_id, digest))


def _cast(ballot_id: int, option_id: int, mark_voted, now: datetime | None) -> Receipt:
    now = now or timezone.now()
    sealed = _Sealed.make(ballot_id, option_id)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        return _SQLITE_CASTS.run(lambda: _cast_once(ballot_id, option_id, mark_voted, now, sealed))
    return _cast_once(ballot_id, option_id, mark_voted, now, sealed)


def _cast_once(
    ballot_id: int, option_id: int, mark_voted, now: datetime, sealed: _Sealed
) -> Receipt:
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            _commit_without_waiting_for_disk(cursor)
        label = cast_sql.open_option_label(cursor, ballot_id, option_id, now)
        if label is None:
            raise _why_refused(ballot_id, option_id, now)
        mark_voted(cursor)
        code, digest = sealed.code, sealed.digest
        cast_sql.insert_vote(cursor, sealed.vote_id, ballot_id, option_id, digest, sealed.seal)
        # The ballot's lock orders the log; taken last, it is held only for the append and
        # the new head's seal. Closing takes it too, so a vote racing the close is refused
        # and rolled back. (SQLite's transaction has held the database's write lock from
        # its start.)
        locking = connection.features.has_select_for_update
        if locking and cast_sql.locked_status(cursor, ballot_id) != BallotStatus.OPEN:
            raise _why_not_open(ballot_id, now)
        cast_sql.append_cast(cursor, ballot_id)
    if outermost:
        _wait_until_durable()
    return Receipt(ballot_id, code, digest, label)


def _why_not_open(ballot_id: int, now: datetime) -> NotOpen:
    try:
        check_open(Ballot.objects.get(pk=ballot_id), now)
    except NotOpen as refused:
        return refused
    return NotOpen("Voting in this ballot has just closed: no more votes are counted.")


def _why_refused(ballot_id: int, option_id: int, now: datetime) -> NotOpen | UnknownOption:
    """Why the ballot-and-option check found nothing: voting is not open, or the option
    is not one of the ballot's."""
    try:
        check_open(Ballot.objects.get(pk=ballot_id), now)
    except NotOpen as refused:
        return refused
    options = BallotOption.objects.filter(ballot_id=ballot_id).values_list("label", flat=True)
    return UnknownOption(
        f"That choice is not one of this ballot's options: choose one of {', '.join(options)}."
    )


_SQLITE_CASTS = GroupCommit()


def _commit_without_waiting_for_disk(cursor) -> None:
    """On PostgreSQL, let this commit release the ballot's lock before its log record
    reaches the disk; :func:`_wait_until_durable` then waits for the disk outside the lock,
    so voters' flushes overlap instead of queueing one after another."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _wait_until_durable() -> None:
    """Commit a tiny transaction synchronously: PostgreSQL writes the log in order, so once
    it is on disk the vote's commit is too, and only then is the receipt shown."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")


def check_open(ballot: Ballot, now: datetime) -> None:
    if ballot.status in (BallotStatus.CLOSED, BallotStatus.TALLIED) or (
        ballot.status == BallotStatus.OPEN and now >= ballot.closes_at
    ):
        raise NotOpen(
            f"Voting in this ballot closed at {local_moment(ballot.closes_at)}: no more votes are "
            "counted."
        )
    if ballot.status != BallotStatus.OPEN or now < ballot.opens_at:
        raise NotOpen(
            f"Voting in this ballot has not opened yet: it is due to open at "
            f"{local_moment(ballot.opens_at)}."
        )


def not_in_electorate(ballot: Ballot) -> NotInElectorate:
    return NotInElectorate(
        f"You are not in this ballot's electorate. It is the staff on "
        f"{ballot.organisation.name}'s register employed"
        f"{' and members' if ballot.members_only else ''} on "
        f"{ballot.electorate_date:%-d %B %Y}, fixed when the ballot was frozen. If you "
        "think you should be in it, ask whoever keeps the register."
    )


def has_voted(ballot: Ballot, user) -> bool | None:
    """Whether the user has voted (None if they are not an elector)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    marks = list(
        Elector.objects.filter(ballot=ballot, person__user=user)
        .order_by("person_id")
        .values_list("has_voted", flat=True)[:1]
    )
    return marks[0] if marks else None


def local_moment(moment: datetime) -> str:
    """A moment as people read it: the site's local time, to the minute."""
    return f"{timezone.localtime(moment):%-d %B %Y %H:%M}"
