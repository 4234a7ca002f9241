"""A time of day typed into one box beside a GOV.UK date input, such as 17:00.

The Design System has no time pattern of its own; services ask for the time in a labelled
text input next to the date. This one reads the 24-hour clock (17:00, 17.00, 9:30) and the
12-hour one (5pm, 5:30pm), and midday and midnight.

A moment is asked as a date input and a time box beside it; :func:`join_moments` puts each
pair back together in UK time (the site's time zone) and :func:`moment_initial` fills a pair
from a stored moment.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

HINT = "For example, 17:00"
WORDS = {"midday": dt.time(12), "noon": dt.time(12), "12noon": dt.time(12), "midnight": dt.time(0)}
CLOCK = re.compile(r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?(?P<half>am|pm)?")


def parse_time(text: str) -> dt.time | None:
    """The time ``text`` names, or None if it names none."""
    text = re.sub(r"[\s]+", "", text).lower().replace("a.m.", "am").replace("p.m.", "pm")
    if text in WORDS:
        return WORDS[text]
    found = CLOCK.fullmatch(text)
    if found is None or (found["minute"] is None and found["half"] is None):
        return None
    hour, minute = int(found["hour"]), int(found["minute"] or 0)
    if found["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if found["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


class TimeInputField(forms.Field):
    """A real time of day, shown as a narrow text input with the hint 'For example, 17:00'."""

    govuk_prefix = govuk_suffix = ""
    govuk_width = "govuk-input--width-5"

    def __init__(self, *, label: str, required: bool = True, **kwargs):
        plain = label.removesuffix(" (optional)")
        self.lowered = plain[0].lower() + plain[1:]
        kwargs.setdefault("help_text", HINT)
        super().__init__(
            label=label,
            required=required,
            error_messages={"required": f"Enter the {self.lowered}"},
            **kwargs,
        )

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, dt.time):
            return value or None
        found = parse_time(str(value))
        if found is None:
            raise ValidationError(f"The {self.lowered} must be a real time, like 17:00")
        return found


def join_moments(cleaned: dict, moments) -> dict:
    """Each ``(moment, date field, time field)`` of ``moments`` whose date and time are both
    clean, put into ``cleaned`` as ``moment``: an aware datetime read as UK time."""
    for moment, day, time in moments:
        if cleaned.get(day) and cleaned.get(time):
            cleaned[moment] = timezone.make_aware(dt.datetime.combine(cleaned[day], cleaned[time]))
    return cleaned


def moment_initial(date_name: str, time_name: str, moment: dt.datetime) -> dict:
    """The initial values of a date input and its time box for ``moment``, in UK time."""
    local = timezone.localtime(moment)
    return {date_name: local.date(), time_name: f"{local:%H:%M}"}
