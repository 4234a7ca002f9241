"""What can go wrong with a ballot, each with a message a person can act on.

The CLI, the web pages and the API render these in one place each; the message is the same
everywhere.
"""

from __future__ import annotations

from mutuals.errors import MutualsError


class BallotError(MutualsError):
    """Base class for ballot problems a person can fix or must be told about."""


class BallotInvalid(BallotError):
    """A ballot's definition is incomplete or inconsistent; ``problems`` names each field."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        listed = "; ".join(f"{field}: {reason}" for field, reason in problems.items())
        super().__init__(f"The ballot was not created: {listed}")


class WrongStage(BallotError):
    """The step asked for does not fit where the ballot is (freezing an open ballot, say)."""


class NotInElectorate(BallotError):
    """The person is not in the frozen electorate: not on the register, not staff, not
    employed (or a member) on the electorate date, or added after the freeze."""


class NotOpen(BallotError):
    """Voting is not open: the ballot has not opened yet, or it has closed."""


class AlreadyVoted(BallotError):
    """The person's vote has already been counted; a second one never is."""


class UnknownOption(BallotError):
    """The choice sent is not one of the ballot's options."""


class ReceiptNotFound(BallotError):
    """No published vote carries this receipt code."""


class LogAltered(BallotError):
    """The ballot's log no longer matches its sealed head, so nothing more is added to it:
    appending would seal over whatever was cut from its end."""
