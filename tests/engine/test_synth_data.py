"""The synthetic control's panel checks and matrices, built without polars group-bys.

``synth_data`` checks the panel with NumPy and PyArrow and calls
``panel``'s shared checks only when one fails: these tests hold it to the
same errors and messages as ``validate_panel`` and to the same matrices as
a polars sort and pivot, whatever the row order and the unit labels' type.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mutuals.engine.panel import validate_panel
from mutuals.engine.synth import SynthConfig, synth
from mutuals.engine.synth_data import prepare

BASQUE = Path(__file__).parents[1] / "data" / "basque.csv"
ARGS = dict(outcome="y", unit="unit", time="time", treated="A", start=3)


def _small_panel() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    units = ["A", "B", "C", "D", "E"]
    return pl.DataFrame(
        {
            "unit": np.repeat(units, 5),
            "time": np.tile(np.arange(5), 5),
            "y": rng.normal(size=25),
        }
    )


def _reference(frame: pl.DataFrame, config: SynthConfig) -> tuple[list, np.ndarray, np.ndarray]:
    """Unit labels, periods and outcomes (periods x units) from a polars sort and pivot."""
    panel = frame.sort([config.unit, config.time])
    labels = panel[config.unit].unique().sort().to_list()
    periods = panel[config.time].unique().sort().to_numpy()
    wide = panel.pivot(on=config.unit, index=config.time, values=config.outcome).sort(config.time)
    return labels, periods, wide.select([str(u) for u in labels]).to_numpy()


@pytest.mark.parametrize(
    "labels",
    [
        ["A", "B", "C", "D", "E"],
        ["é", "e", "Z", "a b", "ab"],  # byte order, as polars sorts text
        [30, 4, 100, -2, 7],
        [2.5, 1.0, -3.25, 10.0, 0.5],
    ],
    ids=["text", "unicode", "int", "float"],
)
def test_matrices_equal_a_sort_and_pivot_whatever_the_row_order(labels):
    frame = _small_panel().with_columns(
        pl.col("unit").replace_strict(["A", "B", "C", "D", "E"], labels)
    )
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1)
    config = SynthConfig(outcome="y", unit="unit", time="time", treated=labels[0], start=3)
    data = prepare(shuffled, config)
    sorted_labels, periods, outcomes = _reference(frame, config)
    assert sorted(data.units[1:], key=sorted_labels.index) == data.units[1:]
    assert set(data.units) == set(sorted_labels) and data.units[0] == labels[0]
    np.testing.assert_array_equal(data.periods, periods)
    columns = [sorted_labels.index(u) for u in data.units]
    np.testing.assert_array_equal(data.outcomes, outcomes[:, columns])


def test_categorical_units_sort_as_text():
    frame = _small_panel().with_columns(pl.col("unit").cast(pl.Categorical))
    data = prepare(frame, SynthConfig(**{**ARGS, "treated": "C"}))
    assert data.units == ["C", "A", "B", "D", "E"]


def test_basque_fit_is_the_same_for_shuffled_rows():
    basque = pl.read_csv(BASQUE).filter(pl.col("regionname") != "Spain (Espana)")
    args = dict(outcome="gdpcap", unit="regionname", time="year",
                treated="Basque Country (Pais Vasco)", start=1970)  # fmt: skip
    ordered = synth(basque, **args)
    shuffled = synth(basque.sample(fraction=1.0, shuffle=True, seed=2), **args)
    assert ordered.weights.equals(shuffled.weights)
    assert ordered.gaps.equals(shuffled.gaps)


def _bad_panels() -> dict[str, object]:
    good = _small_panel()
    return {
        "not a frame": good.to_pandas(),
        "missing column": good.drop("y"),
        "text outcome": good.with_columns(pl.col("y").cast(pl.Utf8)),
        "text time": good.with_columns(pl.col("time").cast(pl.Utf8)),
        "null outcome": good.with_columns(
            pl.when(pl.int_range(pl.len()) == 7).then(None).otherwise(pl.col("y")).alias("y")
        ),
        "nan outcome": good.with_columns(
            pl.when(pl.int_range(pl.len()) == 7)
            .then(float("nan"))
            .otherwise(pl.col("y"))
            .alias("y")
        ),
        "null unit": good.with_columns(
            pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("unit")).alias("unit")
        ),
        "duplicate row": pl.concat([good, good.head(1)]),
        "missing period": good.filter(~((pl.col("unit") == "C") & (pl.col("time") == 2))),
        "extra period for one unit": pl.concat(
            [good, pl.DataFrame({"unit": ["B"], "time": [9], "y": [0.0]})]
        ),
    }


@pytest.mark.parametrize("case", list(_bad_panels()))
def test_bad_panels_raise_what_validate_panel_raises(case):
    frame = _bad_panels()[case]
    with pytest.raises(Exception) as shared:
        validate_panel(frame, unit="unit", time="time", outcome="y")
    with pytest.raises(type(shared.value)) as ours:
        synth(frame, **ARGS)
    assert str(ours.value) == str(shared.value)
