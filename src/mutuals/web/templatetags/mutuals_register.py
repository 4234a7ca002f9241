"""Filters for the member register pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent_of_one(value) -> str:
    """A fraction of the whole as a percentage: 0.65 -> '65%'; empty stays empty."""
    if value is None or value == "":
        return ""
    return f"{float(value):.0%}"
