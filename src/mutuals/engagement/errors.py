"""Named problems with surveys, each with a message a person can act on."""

from __future__ import annotations

from mutuals.errors import MutualsError


class SurveyError(MutualsError):
    """A survey cannot be created, changed or answered as asked."""


class InvalidSurvey(SurveyError):
    """The survey's details break a rule (dates, year, group choices)."""


class LinkUnknown(SurveyError):
    """No survey link has this token: it was mistyped or never issued."""


class LinkUsed(SurveyError):
    """The link has already been used to answer; each link counts once."""


class SurveyNotOpen(SurveyError):
    """The survey is closed, or outside the dates it takes answers."""


class InvalidAnswers(SurveyError):
    """An answer is outside the 1–5 scale, or the group is not one the survey offers."""


class NotOnRegister(SurveyError):
    """A signed-in person is not staff on the survey's provider's register today."""


class AlreadyAsked(SurveyError):
    """A member of staff has answered already, or was sent a single-use link to answer with."""
