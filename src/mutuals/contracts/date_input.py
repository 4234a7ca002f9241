"""A date as the GOV.UK date input asks for it: day, month and year in three boxes.

The boxes are named ``NAME-day``, ``NAME-month`` and ``NAME-year``. A date kept as
``YYYY-MM-DD`` under ``NAME`` (a draft saved in the session, or a script posting the form)
is read too, so answers already kept stay valid.

An error about some of the boxes (a missing month, a year of two digits) is a
:class:`DatePartsError` naming them, so the page highlights only those boxes; any other
error on the field (a date before another) highlights all three.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

PARTS = ("day", "month", "year")
HINT = "For example, 1 4 2011"


class DatePartsError(ValidationError):
    """A date input's error that concerns only some of its boxes: ``parts``."""

    def __init__(self, message: str, parts: tuple[str, ...] = PARTS):
        super().__init__(message)
        self.parts = parts


def wrong_parts(errors) -> tuple[str, ...]:
    """The boxes to highlight for a field's errors (a form's ``ErrorList``): those named by
    its :class:`DatePartsError`, or all three if any error does not name them."""
    found: set[str] = set()
    for error in errors.as_data() if errors else ():
        found.update(getattr(error, "parts", PARTS))
    return tuple(part for part in PARTS if part in found)


def parts_of(value) -> dict[str, str]:
    """The day, month and year to show in the boxes, from whatever the form holds: the boxes'
    own text, a date, or an ISO date."""
    if isinstance(value, list | tuple):
        return dict(zip(PARTS, (str(v or "") for v in value), strict=False))
    if isinstance(value, str) and value:
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return dict.fromkeys(PARTS, "")
    if isinstance(value, dt.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    return dict.fromkeys(PARTS, "")


class DatePartsWidget(forms.Widget):
    def id_for_label(self, id_):
        """The day box, where an error summary's link should put the cursor."""
        return f"{id_}-day" if id_ else id_

    def value_from_datadict(self, data, files, name):
        boxes = [data.get(f"{name}-{part}", "") for part in PARTS]
        if any(f"{name}-{part}" in data for part in PARTS):
            return boxes
        return data.get(name) or None

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(f"{name}-{part}" not in data for part in PARTS)


class DateInputField(forms.Field):
    """A real date from three boxes, with the error messages the Design System gives."""

    widget = DatePartsWidget

    def __init__(self, *, label: str, required: bool = True, **kwargs):
        lowered = label.removesuffix(" (optional)").lower()
        kwargs.setdefault("help_text", HINT)
        super().__init__(
            label=label,
            required=required,
            error_messages={"required": f"Enter the {lowered}"},
            **kwargs,
        )
        self.lowered = lowered

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, dt.date):
            return value or None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise DatePartsError(f"The {self.lowered} must be a real date") from None
        given = dict(zip(PARTS, (str(v).strip() for v in value), strict=False))
        if not any(given.values()):
            return None
        missing = tuple(part for part in PARTS if not given.get(part))
        if missing:
            raise DatePartsError(
                f"The {self.lowered} must include a {' and a '.join(missing)}", missing
            )
        not_numbers = tuple(part for part in PARTS if not given[part].isdigit())
        if not_numbers:
            raise DatePartsError(f"The {self.lowered} must be a real date", not_numbers)
        if len(given["year"]) != 4:
            raise DatePartsError("Year must include 4 numbers", ("year",))
        return self._real_date(*(int(given[part]) for part in PARTS))

    def _real_date(self, day: int, month: int, year: int) -> dt.date:
        try:
            return dt.date(year, month, day)
        except ValueError:
            wrong = ("month",) if not 1 <= month <= 12 else ("year",) if year < 1 else ("day",)
            raise DatePartsError(f"The {self.lowered} must be a real date", wrong) from None
