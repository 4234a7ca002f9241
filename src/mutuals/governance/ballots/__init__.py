"""Secret staff ballots: the service every edge (web, API, CLI) calls.

- :mod:`.lifecycle` — create, freeze, open, close, tick;
- :mod:`.casting` — cast a vote, once, secretly, with a receipt;
- :mod:`.tally` — count, publish, find a vote by receipt;
- :mod:`.verify` — recompute the log, seals, counts and tally;
- :mod:`.chain` and :mod:`.secrecy` — the hash chain, receipts, seals and fingerprints;
- :mod:`.sealed_head`, :mod:`.stages` and :mod:`.published` — the log's length and head
  sealed on the ballot, its steps against its status, and a published result held to it;
- :mod:`.errors` — what can go wrong, in words.
"""

from mutuals.governance.ballots.casting import Receipt, cast_vote, has_voted
from mutuals.governance.ballots.errors import (
    AlreadyVoted,
    BallotError,
    BallotInvalid,
    LogAltered,
    NotInElectorate,
    NotOpen,
    ReceiptNotFound,
    UnknownOption,
    WrongStage,
)
from mutuals.governance.ballots.lifecycle import (
    BallotDraft,
    close_ballot,
    create_ballot,
    electorate,
    freeze,
    open_ballot,
    tick,
)
from mutuals.governance.ballots.published import PublishedLog
from mutuals.governance.ballots.tally import (
    Result,
    find_receipt,
    in_words,
    published_receipts,
    result,
    tally,
)
from mutuals.governance.ballots.verify import Verification, verify

__all__ = [
    "AlreadyVoted",
    "BallotDraft",
    "BallotError",
    "BallotInvalid",
    "LogAltered",
    "NotInElectorate",
    "NotOpen",
    "PublishedLog",
    "Receipt",
    "ReceiptNotFound",
    "Result",
    "UnknownOption",
    "Verification",
    "WrongStage",
    "cast_vote",
    "close_ballot",
    "create_ballot",
    "electorate",
    "find_receipt",
    "freeze",
    "has_voted",
    "in_words",
    "open_ballot",
    "published_receipts",
    "result",
    "tally",
    "tick",
    "verify",
]
