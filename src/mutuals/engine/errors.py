"""Named errors raised by the engine.

Every error carries a message a person can act on. The web, API and CLI
render these in one place each; the engine never prints.
"""


class EngineError(ValueError):
    """Base class for every problem the engine reports about its input."""


class MissingColumnError(EngineError):
    """A column the estimator needs is not in the data."""


class NonNumericColumnError(EngineError):
    """A column that must hold numbers holds something else."""


class UnitNotFoundError(EngineError):
    """A named unit (for example the treated unit) is not in the panel."""


class EmptyCohortError(EngineError):
    """A treatment cohort has no units in it."""


class TooFewPeriodsError(EngineError):
    """There are not enough periods (before or after treatment) to estimate."""


class NonConvergenceError(EngineError):
    """An optimiser or solver did not reach a solution."""


class InvalidOptionError(EngineError):
    """An option value is not one of those allowed."""


class PanelReadError(EngineError):
    """A panel file could not be found or read."""


class UnbalancedPanelError(EngineError):
    """Some units are not observed in every period, or a unit-period appears twice."""


class DuplicatePeriodError(EngineError):
    """A series has more than one observation for the same period."""


class MissingYearError(EngineError):
    """A year the calculation needs has no value (for example no deflator for it)."""


class ValueOutOfRangeError(EngineError):
    """A value lies outside the range allowed for its column (e.g. a 1–5 answer)."""


class NoVariationError(EngineError):
    """A variable does not vary enough (e.g. within units) for its effect to be estimated."""
