"""Governance records of a provider: who its members are, what they hold, who sits on its
board, what its constitution says, and the staff votes held on its future."""

from mutuals.governance.models.ballots import (
    Ballot,
    BallotEvent,
    BallotOption,
    BallotStatus,
    CountsAs,
    Elector,
    SealedHead,
    Vote,
)
from mutuals.governance.models.register import (
    BoardSeat,
    Constitution,
    Holding,
    Person,
    RoleGroup,
    SeatFilledBy,
    ShareClass,
    StaffVoteRecord,
)

__all__ = [
    "Ballot",
    "BallotEvent",
    "BallotOption",
    "BallotStatus",
    "CountsAs",
    "Elector",
    "SealedHead",
    "Vote",
    "BoardSeat",
    "Constitution",
    "Holding",
    "Person",
    "RoleGroup",
    "SeatFilledBy",
    "ShareClass",
    "StaffVoteRecord",
]
