"""The neutralising rule itself: which text gains a quote, and that the quote comes off."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from exports.conftest import FORMULAS
from mutuals.exports import (
    neutralise_frame,
    neutralise_text,
    neutralised,
    restore_text,
    restored,
)

UNTOUCHED = (
    "", "Community nursing", "'quoted already", "it's = fine", " =spaced", "https://x/y",
    "-3.5", "+44", "-1e-3", ".5", "12",
)  # fmt: skip
ALREADY_QUOTED = ("'=A1", "''+1+1", "'-x", "'@x", "'\tx", "'\rx")


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_text_gains_one_quote(formula):
    assert neutralise_text(formula) == "'" + formula


@pytest.mark.parametrize("text", UNTOUCHED)
def test_other_text_and_plain_numbers_are_left_alone(text):
    assert neutralise_text(text) == text


def test_none_is_an_empty_cell():
    assert neutralise_text(None) == ""


@pytest.mark.parametrize("text", FORMULAS + UNTOUCHED + ALREADY_QUOTED)
def test_restoring_gives_back_exactly_what_was_stored(text):
    once = restore_text(neutralise_text(text))
    assert once == text
    assert restore_text(neutralise_text(once)) == text  # no quotes pile up on a round trip


@pytest.mark.parametrize("text", ALREADY_QUOTED)
def test_text_that_looks_neutralised_already_gains_another_quote(text):
    assert neutralise_text(text) == "'" + text


def test_the_polars_expressions_agree_with_the_cell_functions():
    values = [*FORMULAS, *UNTOUCHED, *ALREADY_QUOTED, None]
    frame = pl.DataFrame({"text": values}, schema={"text": pl.String})
    out = frame.select(neutralised(pl.col("text")).alias("text"))["text"].to_list()
    assert out == [None if v is None else neutralise_text(v) for v in values]
    back = restored(pl.Series(out)).to_list()
    assert back == values
    assert frame.select(restored(pl.col("text")))["text"].to_list() == [
        None if v is None else restore_text(v) for v in values
    ]


def test_a_frame_keeps_its_numbers_dates_and_booleans():
    frame = pl.DataFrame(
        {
            "name": ["=A1", "Day teams"],
            "group": pl.Series(["@SUM(A1)", "Nights"], dtype=pl.Categorical),
            "stage": pl.Series(["-2+3", "ok"], dtype=pl.Enum(["-2+3", "ok"])),
            "margin": [-3.5, 2.0],
            "count": [-4, 12],
            "day": [dt.date(2011, 4, 1), None],
            "passed": [True, False],
        }
    )
    out = neutralise_frame(frame)
    assert out["name"].to_list() == ["'=A1", "Day teams"]
    assert out["group"].to_list() == ["'@SUM(A1)", "Nights"]
    assert out["stage"].to_list() == ["'-2+3", "ok"]
    for name in ("margin", "count", "day", "passed"):
        assert out[name].equals(frame[name]) and out[name].dtype == frame[name].dtype
    assert out.write_csv().splitlines()[1] == "'=A1,'@SUM(A1),'-2+3,-3.5,-4,2011-04-01,true"


def test_a_frame_header_is_neutralised_too():
    """A rejects file's header is the uploaded file's header, so it is people's text."""
    frame = pl.DataFrame({"=cmd|' /C calc'!A0": ["x"], "row": [2]})
    assert neutralise_frame(frame).columns == ["'=cmd|' /C calc'!A0", "row"]


def test_an_empty_frame_is_written_as_it_is():
    frame = pl.DataFrame(schema={"reference": pl.String, "value": pl.Float64})
    assert neutralise_frame(frame).write_csv() == "reference,value\n"
