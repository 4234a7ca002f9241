"""The statements of a cast, written as SQL.

Casting is the one hot path of a ballot (10,000 staff voting in the last hour before the
close), and building each statement through the ORM cost more than running it: about 12 ms
of processor time a cast against 3 ms. These are the same statements the ORM would send,
against the same tables; every other ballot step uses the ORM.
"""

from __future__ import annotations

from django.db import IntegrityError, connection

from mutuals.governance.ballots import chain, sealed_head
from mutuals.governance.models import (
    Ballot,
    BallotEvent,
    BallotOption,
    Elector,
    Person,
    SealedHead,
    Vote,
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def open_option_label(cursor, ballot_id: int, option_id: int, now) -> str | None:
    """The option's label if it is the ballot's, the ballot is open and ``now`` is inside
    its window; otherwise None (the caller finds out which)."""
    moment = connection.ops.adapt_datetimefield_value(now)
    cursor.execute(
        f"SELECT o.label FROM {_table(BallotOption)} o JOIN {_table(Ballot)} b "
        "ON b.id = o.ballot_id WHERE b.id = %s AND o.id = %s AND b.status = %s "
        "AND b.opens_at <= %s AND b.closes_at > %s",
        [ballot_id, option_id, "open", moment, moment],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def elector_of_user(cursor, ballot_id: int, user_id: int) -> int | None:
    """The elector row of the user's lowest register entry in this ballot."""
    cursor.execute(
        f"SELECT e.id FROM {_table(Elector)} e JOIN {_table(Person)} p ON p.id = e.person_id "
        "WHERE e.ballot_id = %s AND p.user_id = %s ORDER BY e.person_id LIMIT 1",
        [ballot_id, user_id],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def mark_user_voted(cursor, ballot_id: int, user_id: int) -> int:
    """Mark the user's elector row as having voted. Rows changed: 1 for the first vote; 0
    if they are not an elector or have voted already. A sign-in is linked to at most one
    entry on a provider's register (a database constraint), so a ballot has at most one
    elector per user; the query starts from the user's register entries (an index on
    user) rather than from the ballot's electorate."""
    cursor.execute(
        f"UPDATE {_table(Elector)} SET has_voted = %s WHERE has_voted = %s AND ballot_id = %s "
        f"AND person_id IN (SELECT p.id FROM {_table(Person)} p WHERE p.user_id = %s)",
        [True, False, ballot_id, user_id],
    )
    return cursor.rowcount


def mark_voted(cursor, elector_id: int) -> int:
    """Rows changed: 1 for the first vote, 0 for any later or concurrent attempt."""
    cursor.execute(
        f"UPDATE {_table(Elector)} SET has_voted = %s WHERE id = %s AND has_voted = %s",
        [True, elector_id, False],
    )
    return cursor.rowcount


def insert_vote(cursor, vote_id, ballot_id: int, option_id: int, digest: str, seal: str) -> None:
    key = Vote._meta.pk.get_db_prep_value(vote_id, connection)
    cursor.execute(
        f"INSERT INTO {_table(Vote)} (id, ballot_id, option_id, receipt_digest, seal) "
        "VALUES (%s, %s, %s, %s, %s)",
        [key, ballot_id, option_id, digest, seal],
    )


def locked_status(cursor, ballot_id: int) -> str:
    """The ballot's status, its row locked until the transaction ends."""
    cursor.execute(f"SELECT status FROM {_table(Ballot)} WHERE id = %s FOR UPDATE", [ballot_id])
    return cursor.fetchone()[0]


def sealed_head_of(cursor, ballot_id: int) -> sealed_head.Head:
    """The sealed head of the ballot's log, checked (see :mod:`.sealed_head`). Read by a
    statement of its own once the ballot's lock is held, never joined to the locking one: a
    cast that waited for the lock would otherwise see the head as it was before it waited
    (PostgreSQL re-reads only the locked row). Only the lock's holder writes the head."""
    cursor.execute(
        f"SELECT entries, head_hash, seal FROM {_table(SealedHead)} WHERE ballot_id = %s",
        [ballot_id],
    )
    row = cursor.fetchone()
    if row is None:  # an open ballot's log has entries, so a sealed head
        raise sealed_head.altered(ballot_id)
    return sealed_head.checked(ballot_id, sealed_head.Head(*row))


def append_cast(cursor, ballot_id: int) -> None:
    """A "cast" entry after the log's sealed head (no time, empty payload: see
    :mod:`.chain`), and the new head sealed, under the ballot's lock. If the head is missing
    or its seal fails, nothing is added."""
    head = sealed_head_of(cursor, ballot_id)
    sequence = head.entries + 1
    entry = chain.entry_hash(ballot_id, sequence, "cast", None, {}, head.hash)
    payload = BallotEvent._meta.get_field("payload").get_db_prep_save({}, connection)
    try:
        cursor.execute(
            f"INSERT INTO {_table(BallotEvent)} "
            "(ballot_id, sequence, kind, at, payload, previous_hash, entry_hash) "
            "VALUES (%s, %s, %s, NULL, %s, %s, %s)",
            [ballot_id, sequence, "cast", payload, head.hash, entry],
        )
    except IntegrityError:  # an entry already holds the sequence after the sealed head
        raise sealed_head.altered(ballot_id) from None
    cursor.execute(
        f"UPDATE {_table(SealedHead)} SET entries = %s, head_hash = %s, seal = %s "
        "WHERE ballot_id = %s",
        [sequence, entry, sealed_head.seal(ballot_id, sequence, entry), ballot_id],
    )
