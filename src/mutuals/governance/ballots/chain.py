"""The ballot's append-only log: each entry's hash covers its contents and the hash of the
entry before it, so altering, removing or inserting an entry breaks every later link.

An entry's hash is an HMAC-SHA256, keyed from ``SECRET_KEY`` with its own salt (not the
vote seal's), of the canonical JSON (sorted keys, no spaces) of
``{"ballot", "sequence", "kind", "at", "payload", "previous"}``, with ``at`` in ISO 8601
(UTC, whole seconds) or null, and ``previous`` the hash of the entry before (64 zeros for the
first). Keying it means that someone who can write to the database but does not hold the
key cannot rewrite the log and recompute every later hash so that it still verifies: a
plain hash would let them (add electors, edit the freeze entry, rehash the rest).

The chain alone does not show entries cut off the end of the log; the ballot's sealed head
(:mod:`.sealed_head`) and the published result (:mod:`.published`) do.

Casts are logged with no time and an empty payload: the log records that a vote was cast,
never which vote, so its order cannot be joined to the votes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from mutuals.governance.ballots import sealed_head
from mutuals.governance.ballots.sealed_head import GENESIS
from mutuals.governance.models import Ballot, BallotEvent

ENTRY_SALT = "mutuals.governance.ballots.chain.entry"


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    ballot_id: int,
    sequence: int,
    kind: str,
    at: datetime | None,
    payload: dict,
    previous_hash: str,
) -> str:
    body = {
        "ballot": ballot_id,
        "sequence": sequence,
        "kind": kind,
        "at": at.isoformat() if at is not None else None,
        "payload": payload,
        "previous": previous_hash,
    }
    return salted_hmac(ENTRY_SALT, canonical(body), algorithm="sha256").hexdigest()


def append(
    ballot: Ballot,
    kind: str,
    payload: dict | None = None,
    *,
    at: datetime | None = None,
):
    """Add an entry at the end of the ballot's log, at ``at`` (default now), and seal the
    new head (see :mod:`.sealed_head`). (Casts, which carry no time, are appended by
    :mod:`~mutuals.governance.ballots.cast_sql`.) The caller holds the ballot's lock (see
    :func:`mutuals.governance.ballots.lifecycle.locked`), so the chain stays a line."""
    payload = payload or {}
    at = (at or timezone.now()).replace(microsecond=0)
    head = sealed_head.read(ballot.pk)
    sequence = head.entries + 1
    entry = entry_hash(ballot.pk, sequence, kind, at, payload, head.hash)
    try:
        with transaction.atomic():
            event = BallotEvent.objects.create(
                ballot=ballot,
                sequence=sequence,
                kind=kind,
                at=at,
                payload=payload,
                previous_hash=head.hash,
                entry_hash=entry,
            )
    except IntegrityError:  # an entry already holds the sequence after the sealed head
        raise sealed_head.altered(ballot.pk) from None
    sealed_head.write(ballot.pk, sequence, entry)
    return event


def head(ballot: Ballot) -> str:
    """The hash of the newest entry: publishing it pins the whole log."""
    last = BallotEvent.objects.filter(ballot=ballot).order_by("-sequence").first()
    return last.entry_hash if last else GENESIS


def chain_problems(ballot_id: int, events: Iterable[BallotEvent]) -> list[str]:
    """Every break in the chain, each naming the entry where it shows."""
    problems = []
    expected_sequence, previous = 1, GENESIS
    for event in events:
        name = f"log entry #{event.sequence} ({event.kind})"
        if event.sequence != expected_sequence:
            problems.append(
                f"log entry #{expected_sequence} is missing: the log goes from "
                f"#{expected_sequence - 1} to #{event.sequence}"
            )
        if event.previous_hash != previous:
            problems.append(
                f"{name} does not follow the entry before it: its previous hash does not "
                "match, so an earlier entry was altered, removed or inserted"
            )
        recomputed = entry_hash(
            ballot_id, event.sequence, event.kind, event.at, event.payload, event.previous_hash
        )
        if recomputed != event.entry_hash:
            problems.append(f"{name} was altered: its hash does not match its contents")
        expected_sequence, previous = event.sequence + 1, event.entry_hash
    return problems
