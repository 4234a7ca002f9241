"""Synthetic control on the Basque Country against pysyncon and the published weights."""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from mutuals.engine.errors import (
    InvalidOptionError,
    MissingColumnError,
    NonNumericColumnError,
    TooFewPeriodsError,
    UnitNotFoundError,
)
from mutuals.engine.synth import Predictor, synth
from mutuals.engine.synth_solver import _qp_weights, solve_simplex

BASQUE = Path(__file__).parents[1] / "data" / "basque.csv"
TREATED = "Basque Country (Pais Vasco)"
ARGS = dict(outcome="gdpcap", unit="regionname", time="year", treated=TREATED, start=1970)
SCHOOL = ["school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest"]
SECTORS = [
    "sec.agriculture",
    "sec.energy",
    "sec.industry",
    "sec.construction",
    "sec.services.venta",
    "sec.services.nonventa",
]
# Abadie & Gardeazabal (2003), in pysyncon's predictor order.
STANDARD = (
    [Predictor(v, range(1964, 1970)) for v in SCHOOL]
    + [Predictor("gdpcap", range(1960, 1970))]
    + [Predictor(v, range(1961, 1970, 2)) for v in SECTORS]
    + [Predictor("popdens", [1969])]
)


@pytest.fixture(scope="module")
def basque() -> pl.DataFrame:
    """The 16 regions and the Basque Country; Spain as a whole is not a donor."""
    return pl.read_csv(BASQUE).filter(pl.col("regionname") != "Spain (Espana)")


def _pysyncon_weights(frame: pl.DataFrame, treated: str, special, v) -> pd.Series:
    """pysyncon's predictor matrices and scaling, and its inner (SLSQP) solver.

    pysyncon's ``Synth.fit`` stops SLSQP at ``ftol=1e-6``; on the 15 nearly
    collinear yearly-outcome predictors that leaves a loss 1.5% above the
    optimum (0.08059 vs 0.07943), so we call its solver at ``ftol=1e-14``.
    """
    from pysyncon import Dataprep, Synth

    df = frame.to_pandas()
    controls = sorted(u for u in df.regionname.unique() if u != treated)
    prep = Dataprep(
        foo=df,
        predictors=[],
        predictors_op="mean",
        time_predictors_prior=range(1964, 1970),
        special_predictors=special,
        dependent="gdpcap",
        unit_variable="regionname",
        time_variable="year",
        treatment_identifier=treated,
        controls_identifier=controls,
        time_optimize_ssr=range(1955, 1970),
    )
    x0, x1 = prep.make_covariate_mats()
    x = pd.concat([x0, x1], axis=1)
    x = x.divide(x.std(axis=1), axis=0)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        w, _ = Synth.w_optimize(
            V_mat=np.diag(np.asarray(v)),
            X0=x.drop(columns=x1.name).to_numpy(),
            X1=x[x1.name].to_numpy(),
            qp_options={"maxiter": 10_000, "ftol": 1e-14},
        )
    return pd.Series(w, index=list(x0.columns))


def _standard_special():
    return [(p.variable, list(p.periods), "mean") for p in STANDARD]


def _outcome_special():
    return [("gdpcap", [y], "mean") for y in range(1955, 1970)]


def _ours(result) -> pd.Series:
    return pd.Series(result.weights["weight"].to_numpy(), index=result.weights["unit"].to_list())


def test_outcome_only_default_equals_pysyncon(basque):
    result = synth(basque, **ARGS)
    assert len(result.v) == 15 and np.allclose(result.v, 1 / 15)
    theirs = _pysyncon_weights(basque, TREATED, _outcome_special(), result.v)
    ours = _ours(result).reindex(theirs.index)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert ours.sum() == pytest.approx(1.0, abs=1e-12)
    assert (ours >= 0).all()


def test_v_optimised_reproduces_published_weights(basque):
    result = synth(basque, **ARGS, predictors=STANDARD, mspe_periods=range(1960, 1970))
    assert result.weight_of("Cataluna") == pytest.approx(0.8508, abs=1e-3)
    assert result.weight_of("Madrid (Comunidad De)") == pytest.approx(0.1492, abs=1e-3)
    others = result.weights.filter(~pl.col("unit").is_in(["Cataluna", "Madrid (Comunidad De)"]))
    assert others["weight"].max() < 1e-4
    # pysyncon given our V finds the same weights.
    theirs = _pysyncon_weights(basque, TREATED, _standard_special(), result.v)
    np.testing.assert_allclose(_ours(result).reindex(theirs.index), theirs, atol=1e-4)


def test_v_optimised_pins_the_pre_period_mspe(basque):
    """The MSPE Nelder-Mead reaches over 1960-1969 (the published fit's), and its V."""
    result = synth(basque, **ARGS, predictors=STANDARD, mspe_periods=range(1960, 1970))
    gaps = result.gaps.filter(pl.col("time").is_between(1960, 1969))["gap"].to_numpy()
    assert float(np.mean(gaps**2)) == pytest.approx(0.0088645450, rel=1e-6)
    assert result.pre_rmspe == pytest.approx(0.0906069, rel=1e-5)
    assert result.v.sum() == pytest.approx(1.0)
    assert result.v[-1] == pytest.approx(0.3529, abs=1e-3)  # population density weighs most


def test_gaps_att_and_rmspe(basque):
    result = synth(basque, **ARGS)
    gaps = result.gaps
    assert gaps["time"].to_list() == list(np.arange(1955.0, 1998.0))
    np.testing.assert_allclose(gaps["gap"], gaps["treated"] - gaps["synthetic"], atol=1e-12)
    pre = gaps.filter(pl.col("time") < 1970)["gap"].to_numpy()
    post = gaps.filter(pl.col("time") >= 1970)["gap"].to_numpy()
    assert result.pre_rmspe == pytest.approx(np.sqrt(np.mean(pre**2)), rel=1e-12)
    assert result.att == pytest.approx(post.mean(), rel=1e-12)
    assert result.att < 0  # the Basque Country fell behind its synthetic control


@pytest.fixture(scope="module")
def placebo(basque):
    return synth(basque, **ARGS, placebo=True)


def test_placebo_p_value_counts_treated(placebo):
    table = placebo.placebo
    assert table.height == 17 and table["unit"][0] == TREATED
    ratios = table["ratio"].to_numpy()
    expected = np.sum(ratios >= ratios[0]) / 17
    assert placebo.placebo_p == pytest.approx(expected)
    assert placebo.placebo_p == pytest.approx(7 / 17)
    assert placebo.placebo_p >= 1 / 17


@pytest.mark.parametrize("unit", ["Cataluna", "Madrid (Comunidad De)", "Aragon"])
def test_placebo_fit_equals_pysyncon(basque, placebo, unit):
    """A placebo keeps the treated fit's V and predictor scaling (one Gram matrix for
    all fits); pysyncon rescales on its own pool, so we give it the V that undoes it."""
    pool = basque.filter(pl.col("regionname") != TREATED)
    wide = basque.filter(pl.col("year") < 1970).pivot(
        on="regionname", index="year", values="gdpcap"
    )
    donors = sorted(pool["regionname"].unique())
    sd_all = wide.drop("year").to_numpy().std(axis=1, ddof=1)
    sd_pool = wide.select(donors).to_numpy().std(axis=1, ddof=1)
    v = placebo.v * sd_pool**2 / sd_all**2
    theirs = _pysyncon_weights(pool, unit, _outcome_special(), v / v.sum())
    ours = _placebo_weights(placebo, basque, unit).reindex(theirs.index)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def _placebo_weights(result, frame: pl.DataFrame, unit: str) -> pd.Series:
    from mutuals.engine.synth_data import prepare
    from mutuals.engine.synth_solver import Problem

    data = prepare(frame, result.config)
    problem = Problem.build(data.predictors, result.v)
    j = data.units.index(unit)
    donors = np.array([i for i in range(1, len(data.units)) if i != j])
    return pd.Series(problem.weights(j, donors), index=[data.units[i] for i in donors])


def _all_placebo_weights(result, frame: pl.DataFrame, solver) -> list[np.ndarray]:
    from mutuals.engine.synth_data import prepare
    from mutuals.engine.synth_solver import Problem

    data = prepare(frame, result.config)
    a = Problem.build(data.predictors, result.v).a
    everyone = np.arange(len(data.units))
    pools = [everyone[(everyone != j) & (everyone != 0)] for j in range(1, len(data.units))]
    return [solver(a[:, pool], a[:, j]) for j, pool in enumerate(pools, start=1)]


def _factor_panel(donors: int, pre: int, post: int, seed: int) -> pl.DataFrame:
    """The benchmark's panel: a three-factor outcome, the treated unit first."""
    rng = np.random.default_rng(seed)
    n, periods = donors + 1, pre + post
    factors = rng.normal(size=(periods, 3)).cumsum(axis=0)
    y = 10 + factors @ rng.uniform(0.2, 1.5, size=(n, 3)).T
    y += rng.normal(scale=0.3, size=(periods, n))
    y[pre:, 0] -= 1.0
    return pl.DataFrame(
        {
            "unit": np.tile([f"u{i:03d}" for i in range(n)], periods),
            "time": np.repeat(np.arange(periods), n),
            "y": y.ravel(),
        }
    )


@pytest.mark.parametrize("panel", ["basque", "factor"])
def test_placebo_weights_and_p_value_match_the_previous_solver(basque, placebo, panel):
    """Every placebo fit's weights within 1e-8 of the NNLS solver's, so the same p-value."""
    from ._legacy_synth_solver import legacy_weights

    if panel == "basque":
        frame, result = basque, placebo
    else:
        frame = _factor_panel(60, 20, 8, seed=3)
        result = synth(frame, outcome="y", unit="unit", time="time", treated="u000", start=20,
                       placebo=True)  # fmt: skip
    from mutuals.engine.synth_solver import solve_simplex

    ours = _all_placebo_weights(result, frame, solve_simplex)
    previous = _all_placebo_weights(result, frame, legacy_weights)
    for new, old in zip(ours, previous, strict=True):
        np.testing.assert_allclose(new, old, atol=1e-8, rtol=0)
    assert result.placebo_p == pytest.approx(7 / 17 if panel == "basque" else 1 / 61)


def _loss(a, b, w) -> float:
    return float(np.sum((a @ w - b) ** 2))


def test_solver_matches_clarabel_qp():
    rng = np.random.default_rng(5)
    for _ in range(20):
        a = rng.normal(size=(12, 30))
        b = rng.normal(size=12)
        fast = solve_simplex(a, b)
        exact = _qp_weights(a.T @ a, a.T @ b)
        assert _loss(a, b, fast) <= _loss(a, b, exact) + 1e-9
        np.testing.assert_allclose(fast, exact, atol=1e-5)


def test_result_accessors(placebo):
    tidy = placebo.tidy()
    assert tidy.columns == ["quantity", "label", "value"]
    assert tidy.filter(pl.col("quantity") == "att")["value"][0] == pytest.approx(placebo.att)
    assert placebo.to_dict()["placebo_p"] == pytest.approx(7 / 17)


def test_bad_input(basque):
    with pytest.raises(UnitNotFoundError, match="unit 'Atlantis' is not in the panel"):
        synth(basque, **{**ARGS, "treated": "Atlantis"})
    with pytest.raises(MissingColumnError, match="column 'gdp' is missing"):
        synth(basque, **{**ARGS, "outcome": "gdp"})
    with pytest.raises(TooFewPeriodsError, match="only 1 period"):
        synth(basque, **{**ARGS, "start": 1956})
    text = basque.with_columns(pl.col("gdpcap").cast(pl.Utf8))
    with pytest.raises(NonNumericColumnError, match="'gdpcap' must hold numbers"):
        synth(text, **ARGS)
    with pytest.raises(InvalidOptionError, match="v must be one of"):
        synth(basque, **ARGS, v="best")
