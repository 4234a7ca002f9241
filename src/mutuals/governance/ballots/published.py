"""Holding the log to a published result: the entry count and head hash at the tally.

The tally entry is the last entry of a published ballot's log. The result page, the API and
``mutuals ballot tally`` show its sequence (how many entries the log had) and its hash (the
head); anyone who keeps a copy can later ask whether the log still reaches it, with
``mutuals ballot verify ID --published-entries N --published-head HASH`` or on the result
page. Inside the database, someone who copied an older sealed head can roll a ballot back
consistently (see :mod:`.sealed_head`); a copy held outside it is what they cannot reach.

A head alone is enough: the log must hold an entry with that hash. Any head published
earlier, such as the one the ballot's page shows while voting is open, pins the log up to
that entry in the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mutuals.governance.models import BallotEvent

HEAD = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PublishedLog:
    """What a copy of a published result says of the log: its head, and how many entries
    it had (if the copy says)."""

    head: str
    entries: int | None = None


def problems(events: list[BallotEvent], published: PublishedLog) -> list[str]:
    """How the log (in sequence order) falls short of ``published``, in words."""
    held = f"{published.head[:16]}…"
    if published.entries is None:
        if any(event.entry_hash == published.head for event in events):
            return []
        return [
            f"no entry of the log has the published head {held}: the log was shortened or "
            "rewritten after the result was published, or the head is another ballot's"
        ]
    last = events[-1].sequence if events else 0
    entry = next((event for event in events if event.sequence == published.entries), None)
    if entry is None and last < published.entries:
        return [
            f"the log ends at entry #{last} but the published result says it had "
            f"{published.entries} entries, ending in {held}: entries were removed from its "
            "end after the result was published"
        ]
    if entry is None:
        return [
            f"the log has no entry #{published.entries}, where the published result ends "
            f"({held}): entries were removed after the result was published"
        ]
    if entry.entry_hash != published.head:
        return [
            f"log entry #{entry.sequence} ({entry.kind}) is not the one the published result "
            f"ends in ({held}): the log was rewritten after the result was published"
        ]
    return []
