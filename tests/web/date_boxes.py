"""What a browser posts from a GOV.UK date input (and the time box beside one)."""

from __future__ import annotations

import datetime as dt


def date_boxes(name: str, day: dt.date) -> dict[str, str]:
    """The day, month and year boxes of the date input ``name``, filled with ``day``."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def moment_boxes(date_name: str, time_name: str, moment: dt.datetime) -> dict[str, str]:
    """A date input and the time box beside it, filled with ``moment`` (in local time)."""
    return {**date_boxes(date_name, moment.date()), time_name: f"{moment:%H:%M}"}
