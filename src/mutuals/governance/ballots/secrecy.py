"""Receipt codes, vote seals and electorate fingerprints.

- A **receipt code** is 16 characters from an alphabet without look-alikes (about 78 bits of
  chance), shown once to the voter. Only its digest is stored: the SHA-256 of
  ``mutuals-ballot:<ballot id>:<code without hyphens>``, which the result page lists beside
  each option, so a voter can find their vote (or compute the digest themselves).
- A **seal** is an HMAC-SHA256, keyed from ``SECRET_KEY``, over the ballot, the vote's random
  key, its option and its receipt digest: a vote row edited in the database no longer
  matches its seal, and without the key a matching seal cannot be made.
- The **electorate hash** is the SHA-256 of the sorted register references, one a line,
  followed by ``count:<n>``.
- The **results digest** is the SHA-256 of the sorted ``<receipt digest>:<option position>``
  lines of every vote: the set that was counted.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.utils.crypto import constant_time_compare, salted_hmac

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 16
GROUP = 4
SEAL_SALT = "mutuals.governance.ballots.seal"


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_receipt(text: str) -> str | None:
    """The code's characters in upper case without spaces or hyphens; None if it cannot be
    a receipt code at all."""
    raw = "".join(ch for ch in (text or "").upper() if ch not in " -\t")
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def receipt_digest(ballot_id: int, code: str) -> str:
    raw = normalise_receipt(code)
    if raw is None:
        raise ValueError("not a receipt code")
    return hashlib.sha256(f"mutuals-ballot:{ballot_id}:{raw}".encode()).hexdigest()


def seal(ballot_id: int, vote_id, option_id: int, digest: str) -> str:
    message = f"{ballot_id}|{vote_id}|{option_id}|{digest}"
    return salted_hmac(SEAL_SALT, message, algorithm="sha256").hexdigest()


def seal_holds(ballot_id: int, vote_id, option_id: int, digest: str, stored: str) -> bool:
    return constant_time_compare(seal(ballot_id, vote_id, option_id, digest), stored)


def electorate_hash(references: Iterable[str]) -> tuple[str, int]:
    ordered = sorted(references)
    text = "\n".join([*ordered, f"count:{len(ordered)}"])
    return hashlib.sha256(text.encode()).hexdigest(), len(ordered)


def results_digest(pairs: Iterable[tuple[str, int]]) -> str:
    """``pairs`` are (receipt digest, option position)."""
    lines = sorted(f"{digest}:{position}" for digest, position in pairs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def short(digest: str) -> str:
    """The form the published list shows: the first 16 hex characters."""
    return digest[:16]
