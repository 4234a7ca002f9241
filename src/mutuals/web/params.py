"""Values a request carries (a query string, a button's value), read through Django forms.

A view never converts a request value itself (``int(request.POST[...])`` turns ``abc`` into
a server error): it declares a form and calls :func:`cleaned`, which answers a value that is
not what the page asks for with 400 and the GOV.UK error page, naming the problem."""

from __future__ import annotations

from django import forms
from django.core.exceptions import BadRequest

# The largest id a database key holds (a 64-bit integer): anything above it names nothing
# and would overflow the query.
MAX_ID = 2**63 - 1


class InvalidValue(BadRequest):
    """A request value the page cannot use. Its message is shown on the 400 page, so it is
    written for people, as a form's error messages are."""


def cleaned(form: forms.Form) -> dict:
    """The form's cleaned data; :class:`InvalidValue` with its first problem otherwise."""
    if form.is_valid():
        return form.cleaned_data
    first = next(iter(form.errors.values()))[0]
    raise InvalidValue(first)


def id_field(label: str, **kwargs) -> forms.IntegerField:
    """A database id: a whole number from 1 to :data:`MAX_ID`."""
    message = f"The {label} must be given by its number"
    return forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
        **kwargs,
    )
