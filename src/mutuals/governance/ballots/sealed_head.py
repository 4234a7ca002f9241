"""The sealed head of a ballot's log: its length and last hash, bound to the key.

The chain (:mod:`.chain`) shows an entry altered, removed or inserted anywhere *before*
another, but cutting entries off the end leaves a shorter chain that still links. So each
ballot has a :class:`~mutuals.governance.models.SealedHead` row: ``entries`` (the sequence of
the log's last entry), ``head_hash`` (that entry's hash) and ``seal``, an HMAC-SHA256 keyed
from ``SECRET_KEY`` (with a salt of its own) of ``<ballot id>|<entries>|<head hash>``. Every
append, in the same transaction and under the ballot's lock, checks the seal, chains the new
entry from the sealed head and seals the new head. A database writer without the key who
deletes rows from the end of the log leaves a seal naming more entries than the log has, and
cannot compute a seal for the shorter log (nor for a ballot whose row they delete: a log
with entries must have one). Appending from the sealed head rather than from whichever row
is last means a later vote cannot paper over entries cut before it: the gap stays in the
chain, and an append that finds its place taken is refused rather than made.

What the seal cannot catch is a replay. Someone who copied a ballot's sealed head earlier
can delete every entry after that point and write the copy back; if they also remove the
votes and has-voted marks cast since (``verify`` requires votes, marks and cast entries to
number the same) and set the status back, the database is a consistent picture of the
ballot as it was then. Only a copy kept outside the database shows that: the published
result, which gives the log's entry count and head at the tally (see :mod:`.published`) that
a rolled-back log no longer reaches, and each removed voter's receipt, which the published
list no longer shows. A rollback while voting is open, before any result exists, is caught
by those receipts alone.

Ballots made before the seal existed were sealed by migration ``0004_ballot_sealed_head``
as their logs stood then, rather than on their first ``verify``: sealing on first use would
let someone who cut a log before anyone verified it have the cut sealed for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.crypto import constant_time_compare, salted_hmac

from mutuals.governance.ballots.errors import LogAltered
from mutuals.governance.models import BallotEvent, SealedHead

SALT = "mutuals.governance.ballots.sealed_head"
GENESIS = "0" * 64  # the head of a log with no entries: the first entry's previous hash


@dataclass(frozen=True)
class Head:
    """The log's head as its sealed head row records it."""

    entries: int
    hash: str
    seal: str


FRESH = Head(0, GENESIS, "")  # a ballot whose log has no entry yet, so no sealed head


def seal(ballot_id: int, entries: int, head_hash: str) -> str:
    message = f"{ballot_id}|{entries}|{head_hash}"
    return salted_hmac(SALT, message, algorithm="sha256").hexdigest()


def holds(ballot_id: int, head: Head) -> bool:
    """Whether the seal matches the count and hash beside it."""
    return constant_time_compare(seal(ballot_id, head.entries, head.hash), head.seal)


def checked(ballot_id: int, head: Head) -> Head:
    """``head``, if its seal holds; otherwise refuse to append to the log."""
    if not holds(ballot_id, head):
        raise altered(ballot_id)
    return head


def altered(ballot_id: int) -> LogAltered:
    return LogAltered(
        f"Ballot {ballot_id}'s log has been altered outside Mutuals, so nothing more can be "
        "added to it and nothing was recorded. Ask whoever runs Mutuals to run "
        f"`mutuals ballot verify {ballot_id}`, which names what was altered."
    )


def stored(ballot_id: int) -> Head | None:
    """The ballot's sealed head as stored, unchecked; None if it has no row."""
    row = SealedHead.objects.filter(pk=ballot_id).values_list("entries", "head_hash", "seal")
    found = row.first()
    return Head(*found) if found else None


def read(ballot_id: int) -> Head:
    """The ballot's sealed head, checked. The caller holds the ballot's lock. A ballot with
    no row yet is fresh only while its log is empty."""
    head = stored(ballot_id)
    if head is None:
        if BallotEvent.objects.filter(ballot_id=ballot_id).exists():
            raise altered(ballot_id)
        return FRESH
    return checked(ballot_id, head)


def write(ballot_id: int, entries: int, head_hash: str) -> None:
    """Seal the new head of the ballot's log."""
    SealedHead.objects.update_or_create(
        ballot_id=ballot_id,
        defaults={
            "entries": entries,
            "head_hash": head_hash,
            "seal": seal(ballot_id, entries, head_hash),
        },
    )


def problems(ballot_id: int, last: BallotEvent | None) -> list[str]:
    """How the log's end differs from its sealed head, in words; ``last`` is the log's
    last entry (None if it has none)."""
    head = stored(ballot_id)
    if head is None:
        if last is None:
            return []
        return [
            f"the ballot's sealed head is missing, yet its log runs to entry #{last.sequence}: "
            "it was deleted, so the end of the log cannot be checked"
        ]
    entries = last.sequence if last else 0
    ends = f"ends at entry #{entries}" if last else "is empty"
    if head.entries > entries:
        return [
            f"the log {ends} but its sealed head says {_entries(head.entries)}: entries "
            "were removed from its end"
        ]
    if head.entries < entries:
        return [
            f"the log runs to entry #{entries} but its sealed head says "
            f"{_entries(head.entries)}: entries were added to its end without the key"
        ]
    if last is not None and head.hash != last.entry_hash:
        return [
            f"log entry #{entries} ({last.kind}) is not the sealed head: its hash differs "
            "from the one sealed, so the end of the log was replaced"
        ]
    if not holds(ballot_id, head):
        return [
            f"the ballot's sealed head was rewritten without the key: its seal does not match "
            f"its entry count ({head.entries}) and head, so entries may have been removed "
            "from the end of the log and the count changed to hide it"
        ]
    return []


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"
