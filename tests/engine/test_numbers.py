"""Numbers written for people: never exponent form, units and pounds written one way."""

from __future__ import annotations

import math

import pytest

from mutuals.engine.numbers import amount, money, percent, plain, signed


@pytest.mark.parametrize("exponent", range(-12, 13))
def test_no_scientific_notation_at_any_size(exponent):
    for mantissa in (1.0, 2.345, 9.9996, -6.83):
        value = mantissa * 10.0**exponent
        for text in (plain(value), signed(value), money(value), amount(value, "contacts")):
            assert "e+" not in text and "e-" not in text, text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(6830.0, "6,830"), (-6830.0, "−6,830"), (0.0456, "0.0456"), (999.96, "1,000"),
     (1.11111, "1.11"), (0.0000123, "0.0000123"), (1e-12, "0")],
)  # fmt: skip
def test_three_significant_figures_with_separators(value, expected):
    assert plain(value) == expected


def test_signed_and_missing():
    assert signed(1.234) == "+1.23" and signed(-0.0456) == "−0.0456" and signed(0) == "0"
    assert plain(None) == "–" and plain(math.nan) == "–" and signed(math.inf) == "–"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2.03, "%", "+2.03 percentage points"),
        (-0.8, "% positive", "−0.800 percentage points"),
        (-6830, "contacts", "−6,830 contacts"),
        (7_800_000, "£", "+£7.8m"),
        (-470_700_000, "£", "−£470.7m"),
        (0.834, "£ per contact", "+£0.834 per contact"),
        (1.2, "weeks", "+1.20 weeks"),
    ],
)
def test_amounts_in_their_unit(value, unit, expected):
    assert amount(value, unit, sign=True) == expected


def test_money_and_percent():
    assert money(1_306_600_000) == "£1,306.6m" and money(336_000) == "£336,000"
    assert money(-12.6) == "−£12.6"
    assert percent(0.95) == "95%" and percent(0.994) == "99.4%" and percent(0.001) == "0.1%"
