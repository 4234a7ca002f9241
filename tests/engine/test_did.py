"""Staggered DiD against csdid (an independent port of R ``did``) on mpdta."""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from mutuals.engine.did import DidConfig, did
from mutuals.engine.errors import (
    EmptyCohortError,
    InvalidOptionError,
    MissingColumnError,
    NonNumericColumnError,
)

MPDTA = Path(__file__).parents[1] / "data" / "mpdta.csv"
TOL = 1e-6
ARGS = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def mpdta() -> pl.DataFrame:
    return pl.read_csv(MPDTA)


def _csdid(frame: pl.DataFrame, xformla: str, control: str = "nevertreated") -> dict:
    from csdid.att_gt import ATTgt

    out: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        model = ATTgt(
            yname="lemp",
            gname="first.treat",
            idname="countyreal",
            tname="year",
            xformla=xformla,
            data=frame.to_pandas(),
            control_group=control,
        ).fit(est_method="dr", bstrap=False)
        out["att_gt"] = dict(model.results)
        for kind in ("simple", "dynamic", "group", "calendar"):
            model.aggte(typec=kind, bstrap=False)
            out[kind] = dict(model.atte)
    return out


CASES = {
    "unconditional": (dict(), "lemp~1", "nevertreated"),
    "lpop_dr": (dict(covariates=["lpop"], method="dr"), "lemp~lpop", "nevertreated"),
    "notyet": (dict(control="notyet"), "lemp~1", "notyettreated"),
}


@pytest.fixture(scope="module", params=list(CASES))
def pair(request, mpdta):
    options, xformla, control = CASES[request.param]
    return did(mpdta, **ARGS, **options), _csdid(mpdta, xformla, control), request.param


def test_att_gt_equal_csdid(pair):
    ours, ref, _ = pair
    table = ours.att_gt.sort(["g", "t"])
    expected = pl.DataFrame(
        {
            "g": np.asarray(ref["att_gt"]["group"], dtype=np.int64),
            "t": np.asarray(ref["att_gt"]["year"], dtype=np.int64),
            "att": np.asarray(ref["att_gt"]["att"], dtype=float),
            "se": np.asarray(ref["att_gt"]["se"], dtype=float),
        }
    ).sort(["g", "t"])
    assert table["g"].to_list() == expected["g"].to_list()
    assert table["t"].to_list() == expected["t"].to_list()
    np.testing.assert_allclose(table["att"], expected["att"], atol=TOL, rtol=0)
    np.testing.assert_allclose(table["se"], expected["se"], atol=TOL, rtol=0)


def test_simple_equal_csdid(pair):
    ours, ref, name = pair
    assert ours.att == pytest.approx(ref["simple"]["overall_att"], abs=TOL)
    assert ours.se == pytest.approx(ref["simple"]["overall_se"], abs=TOL)
    if name == "unconditional":  # the published figures
        assert ours.att == pytest.approx(-0.039951, abs=5e-7)
        assert ours.se == pytest.approx(0.012034, abs=5e-7)


@pytest.mark.parametrize(
    ("kind", "table", "overall", "key"),
    [
        ("dynamic", "dynamic", "dynamic_overall", "e"),
        ("group", "group", "group_overall", "g"),
        ("calendar", "calendar", "calendar_overall", "t"),
    ],
)
def test_aggregations_equal_csdid(pair, kind, table, overall, key):
    ours, ref, _ = pair
    agg = ref[kind]
    frame = getattr(ours, table).sort(key)
    assert frame[key].to_list() == [int(v) for v in agg["egt"]]
    np.testing.assert_allclose(frame["att"], np.asarray(agg["att_egt"], float), atol=TOL, rtol=0)
    np.testing.assert_allclose(frame["se"], np.asarray(agg["se_egt"], float), atol=TOL, rtol=0)
    effect = getattr(ours, overall)
    assert effect.att == pytest.approx(agg["overall_att"], abs=TOL)
    assert effect.se == pytest.approx(agg["overall_se"], abs=TOL)


def test_published_overall_dynamic_and_cohort(mpdta):
    result = did(mpdta, **ARGS)
    assert result.dynamic_overall.att == pytest.approx(-0.077240, abs=5e-7)
    assert result.dynamic_overall.se == pytest.approx(0.019965, abs=5e-7)
    assert result.group_overall.att == pytest.approx(-0.031018, abs=5e-7)
    assert result.group_overall.se == pytest.approx(0.012446, abs=5e-7)


def test_pretrend_tests(mpdta):
    result = did(mpdta, **ARGS)
    # R did's att_gt pre-test (printed by csdid too): W = 7.7912, p = 0.16812.
    assert result.pretrend_cells.statistic == pytest.approx(7.791237, abs=1e-5)
    assert result.pretrend_cells.df == 5
    assert result.pretrend_cells.p_value == pytest.approx(0.16812, abs=1e-5)
    # Event-time pre-test: e = -3, -2, -1 with diff-diff's event-study covariance.
    assert result.pretrend.df == 3
    assert result.pretrend.statistic == pytest.approx(7.327876, abs=1e-5)
    assert 0.05 < result.pretrend.p_value < 0.07


@pytest.fixture(scope="module")
def boot(mpdta):
    return did(mpdta, **ARGS, bootstrap=499, seed=11)


def test_bootstrap_close_to_analytic(mpdta, boot):
    analytic = did(mpdta, **ARGS)
    assert boot.att == analytic.att
    assert boot.se == pytest.approx(analytic.se, rel=0.15)
    np.testing.assert_allclose(boot.dynamic["se"], analytic.dynamic["se"], rtol=0.2)
    np.testing.assert_allclose(boot.calendar["se"], analytic.calendar["se"], rtol=0.2)
    assert boot.group_overall.se == pytest.approx(analytic.group_overall.se, rel=0.2)


def test_bootstrap_deterministic_given_seed(mpdta, boot):
    again = did(mpdta, **ARGS, bootstrap=499, seed=11)
    assert again.tidy().equals(boot.tidy())
    assert again.band_critical_value == boot.band_critical_value


def test_uniform_band_wider_than_pointwise(boot):
    dyn = boot.dynamic
    assert boot.band_critical_value > 1.96
    assert (dyn["band_upper"] - dyn["band_lower"] > dyn["ci_upper"] - dyn["ci_lower"]).all()
    cal = boot.calendar
    assert (cal["band_upper"] - cal["band_lower"] > cal["ci_upper"] - cal["ci_lower"]).all()


def _welch(mpdta: pl.DataFrame, g: int, periods: list[int]):
    """Welch's t-test on unit-level changes: mean over ``periods`` minus year g - 1."""
    wide = mpdta.pivot(on="year", index=["countyreal", "first.treat"], values="lemp")
    change = wide.select(
        pl.mean_horizontal([str(t) for t in periods]) - pl.col(str(g - 1))
    ).to_series()
    cohort = wide["first.treat"]
    treated, never = change.filter(cohort == g), change.filter(cohort == 0)
    test = stats.ttest_ind(treated.to_numpy(), never.to_numpy(), equal_var=False)
    att = treated.mean() - never.mean()
    return att, att / test.statistic, test.df, test.confidence_interval()


@pytest.fixture(scope="module")
def corrected(mpdta):
    return did(mpdta, **ARGS, small_sample=True)


@pytest.mark.parametrize("g", [2004, 2006, 2007])
def test_small_sample_cohort_effect_is_welch(mpdta, corrected, g):
    """Without covariates, with never-treated comparators, a cohort effect is a
    difference of two means of unit-level changes: the correction is Welch's test."""
    att, se, df, interval = _welch(mpdta, g, list(range(g, 2008)))
    row = corrected.group.filter(pl.col("g") == g).row(0, named=True)
    assert row["att"] == pytest.approx(att, abs=1e-10)
    assert row["se"] == pytest.approx(se, rel=1e-9)
    assert row["df"] == pytest.approx(df, rel=1e-9)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(tuple(interval), rel=1e-9)


def test_small_sample_cell_is_welch(mpdta, corrected):
    att, se, df, _ = _welch(mpdta, 2006, [2007])
    row = corrected.att_gt.filter((pl.col("g") == 2006) & (pl.col("t") == 2007)).row(0, named=True)
    assert (row["att"], row["se"], row["df"]) == pytest.approx((att, se, df), rel=1e-9)


def test_small_sample_only_widens_intervals(mpdta, corrected):
    plain = did(mpdta, **ARGS)
    assert plain.group["df"].is_infinite().all() and math.isinf(plain.simple.df)
    assert plain.simple.att == corrected.simple.att
    assert 1 < corrected.simple.se / plain.simple.se < 1.02  # cohorts of 20 to 131 counties
    assert 100 < corrected.simple.df < 500
    for name in ("att_gt", "dynamic", "group", "calendar"):
        wide, narrow = getattr(corrected, name), getattr(plain, name)
        assert (wide["se"] >= narrow["se"]).all()
        assert (wide["ci_upper"] - wide["ci_lower"] > narrow["ci_upper"] - narrow["ci_lower"]).all()


def test_small_sample_with_a_cohort_of_one(mpdta):
    """One treated unit: its own spread cannot be estimated; the rest still is."""
    first = mpdta.filter(pl.col("first.treat") == 2004)["countyreal"].min()
    panel = mpdta.filter((pl.col("first.treat") != 2004) | (pl.col("countyreal") == first))
    result = did(panel, **ARGS, small_sample=True)
    assert result.group["se"].is_finite().all() and result.group["df"].is_finite().all()
    assert np.isfinite(result.simple.se) and result.simple.df > 1


def test_result_accessors(mpdta):
    result = did(mpdta, **ARGS)
    low, high = result.confint()
    assert low < result.att < high
    tidy = result.tidy()
    assert tidy.columns == ["aggregation", "label", "att", "se", "ci_lower", "ci_upper"]
    assert tidy.height == 4 + 12 + 7 + 3 + 4
    assert result.to_dict()["simple"]["att"] == pytest.approx(result.att)


def test_invalid_options_are_named():
    with pytest.raises(InvalidOptionError, match="method must be one of 'dr', 'reg', 'ipw'"):
        DidConfig(outcome="y", unit="u", time="t", cohort="g", method="ols")
    with pytest.raises(InvalidOptionError, match="control"):
        DidConfig(outcome="y", unit="u", time="t", cohort="g", control="all")
    with pytest.raises(InvalidOptionError, match="use it with bootstrap=0"):
        DidConfig(outcome="y", unit="u", time="t", cohort="g", small_sample=True, bootstrap=99)
    with pytest.raises(InvalidOptionError, match="small_sample must be True or False"):
        DidConfig(outcome="y", unit="u", time="t", cohort="g", small_sample="yes")


def test_bad_input(mpdta):
    with pytest.raises(MissingColumnError, match="column 'emp' is missing; the panel has"):
        did(mpdta, **{**ARGS, "outcome": "emp"})
    text = mpdta.with_columns(pl.col("lemp").cast(pl.Utf8))
    with pytest.raises(NonNumericColumnError, match="'lemp' must hold numbers"):
        did(text, **ARGS)
    never = mpdta.with_columns(pl.lit(0).alias("first.treat"))
    with pytest.raises(EmptyCohortError, match="no treated cohort"):
        did(never, **ARGS)
    all_treated = mpdta.filter(pl.col("first.treat") > 0)
    with pytest.raises(EmptyCohortError, match="no never-treated units"):
        did(all_treated, **ARGS)
