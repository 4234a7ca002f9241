"""What can go wrong with events and bookings, each with a message a person can act on.

The web pages, the API and the ``mutuals events`` command render these in one place each;
the message is the same everywhere.
"""

from __future__ import annotations

from mutuals.errors import MutualsError


class EventError(MutualsError):
    """Base class for event and booking problems."""


class NotAllowed(EventError):
    """The person's roles (or, for staff places, the register) do not allow this."""


class EventInvalid(EventError):
    """An event's or a booking's details are incomplete or inconsistent; ``problems`` maps
    each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str], what: str = "The event was not saved"):
        self.problems = problems
        listed = "; ".join(f"{field}: {reason}" for field, reason in problems.items())
        super().__init__(f"{what}: {listed}")


class BookingClosed(EventError):
    """The event takes no bookings now: a draft, cancelled, past its deadline or started."""


class RateClosed(EventError):
    """The rate chosen can no longer be chosen: its book-by moment has passed."""


class NotStaff(NotAllowed):
    """A staff place, and the register does not show the person as staff of the provider
    employed on the day of the event."""


class AlreadyBooked(EventError):
    """The person (or email address) already has a place, or is waiting for one."""


class WrongState(EventError):
    """The step does not fit the booking or event as it stands (accepting an offer that was
    never made, publishing a cancelled event, marking attendance before the day)."""


class OfferLapsed(WrongState):
    """The offered place was not accepted in time and has gone to the next person."""
