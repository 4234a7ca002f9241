"""Shared panel validation and reading panels from files."""

from __future__ import annotations

import polars as pl
import pytest

from mutuals.engine.errors import (
    MissingColumnError,
    NonNumericColumnError,
    PanelReadError,
    UnbalancedPanelError,
)
from mutuals.engine.io import read_panel
from mutuals.engine.panel import validate_panel

ARGS = dict(unit="id", time="t", outcome="y")


@pytest.fixture
def panel() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["b", "b", "a", "a"],
            "t": [2, 1, 2, 1],
            "y": [1.0, 2.0, 3.0, 4.0],
            "x": [1, 1, 2, 2],
        }
    )


def test_valid_panel_is_sorted(panel):
    out = validate_panel(panel, **ARGS, numeric=["x"])
    assert out["id"].to_list() == ["a", "a", "b", "b"]
    assert out["t"].to_list() == [1, 2, 1, 2]


def test_missing_column_names_what_is_there(panel):
    with pytest.raises(MissingColumnError) as info:
        validate_panel(panel, **{**ARGS, "outcome": "lemp"})
    assert str(info.value) == "column 'lemp' is missing; the panel has columns: 'id', 't', 'y', 'x'"


def test_non_numeric_outcome_gives_examples(panel):
    bad = panel.with_columns(pl.Series("y", ["1.5", "twelve", "3", "n/a"]))
    with pytest.raises(NonNumericColumnError) as info:
        validate_panel(bad, **ARGS)
    assert "column 'y' must hold numbers but has type String" in str(info.value)
    assert "'twelve', 'n/a'" in str(info.value)


def test_non_numeric_time(panel):
    bad = panel.with_columns(pl.col("t").cast(pl.Utf8) + "Q1")
    with pytest.raises(NonNumericColumnError, match="column 't' must hold numbers"):
        validate_panel(bad, **ARGS)


def test_missing_values_are_counted(panel):
    bad = panel.with_columns(pl.Series("y", [1.0, None, float("nan"), 4.0]))
    with pytest.raises(NonNumericColumnError, match="column 'y' has 2 missing value"):
        validate_panel(bad, **ARGS)


def test_unbalanced_panel(panel):
    with pytest.raises(UnbalancedPanelError, match="1 unit\\(s\\) are not observed in all 2"):
        validate_panel(panel.head(3), **ARGS)
    assert validate_panel(panel.head(3), **ARGS, balanced=False).height == 3


def test_duplicate_unit_period(panel):
    doubled = pl.concat([panel, panel.head(1)])
    with pytest.raises(UnbalancedPanelError, match="unit 'b' appears 2 times in period 2"):
        validate_panel(doubled, **ARGS)


def test_not_a_polars_frame(panel):
    with pytest.raises(TypeError, match="expected a polars DataFrame"):
        validate_panel(panel.to_pandas(), **ARGS)


def test_read_csv_and_parquet(tmp_path, panel):
    panel.write_csv(tmp_path / "p.csv")
    panel.write_parquet(tmp_path / "p.parquet")
    assert read_panel(tmp_path / "p.csv").equals(panel)
    assert read_panel(tmp_path / "p.parquet").equals(panel)


def test_read_errors(tmp_path):
    with pytest.raises(PanelReadError, match="'.*nope.csv' does not exist"):
        read_panel(tmp_path / "nope.csv")
    (tmp_path / "p.xlsx").write_text("x")
    with pytest.raises(PanelReadError, match="must be CSV"):
        read_panel(tmp_path / "p.xlsx")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(PanelReadError, match="could not read panel file 'bad.parquet'"):
        read_panel(tmp_path / "bad.parquet")
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(PanelReadError, match="has no rows"):
        read_panel(tmp_path / "empty.csv")
