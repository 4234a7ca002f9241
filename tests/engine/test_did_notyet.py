"""Staggered DiD with no never-treated units: the last cohort becomes the comparison.

With not-yet-treated controls and no never-treated units, R ``did`` and csdid
keep only the periods before the last cohort is treated and use that cohort
as the comparison group only. These tests hold ``did()`` to csdid on mpdta
without its never-treated counties, and check that a cohort or cell that
cannot be estimated is left out of the aggregates (with a note) instead of
making them NaN.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mutuals.engine.did import DidResult, _skipped_cells_notes, did
from mutuals.engine.errors import EmptyCohortError

MPDTA = Path(__file__).parents[1] / "data" / "mpdta.csv"
TOL = 1e-6
ARGS = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
SYNTH_ARGS = dict(outcome="y", unit="unit", time="period", cohort="first")


@pytest.fixture(scope="module")
def mpdta() -> pl.DataFrame:
    return pl.read_csv(MPDTA)


@pytest.fixture(scope="module")
def all_treated(mpdta) -> pl.DataFrame:
    """mpdta without its never-treated counties: cohorts 2004, 2006 and 2007 remain."""
    return mpdta.filter(pl.col("first.treat") > 0)


def _csdid_notyet(frame: pl.DataFrame, xformla: str) -> dict:
    """csdid's ATT(g,t) and aggregations, analytic standard errors, stdout captured."""
    from csdid.att_gt import ATTgt

    out: dict = {}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ATTgt(
            yname="lemp",
            gname="first.treat",
            idname="countyreal",
            tname="year",
            xformla=xformla,
            data=frame.to_pandas(),
            control_group="notyettreated",
        ).fit(est_method="dr", bstrap=False)
        out["att_gt"] = dict(model.results)
        for kind in ("simple", "dynamic", "group", "calendar"):
            model.aggte(typec=kind, bstrap=False)
            out[kind] = dict(model.atte)
    return out


CASES = {
    "unconditional": (dict(), "lemp~1"),
    "lpop_dr": (dict(covariates=["lpop"], method="dr"), "lemp~lpop"),
}


@pytest.fixture(scope="module", params=list(CASES))
def pair(request, all_treated):
    options, xformla = CASES[request.param]
    ours = did(all_treated, **ARGS, control="notyet", **options)
    return ours, _csdid_notyet(all_treated, xformla)


def test_att_gt_and_standard_errors_equal_csdid(pair):
    ours, ref = pair
    expected = pl.DataFrame(
        {
            "g": np.asarray(ref["att_gt"]["group"], dtype=np.int64),
            "t": np.asarray(ref["att_gt"]["year"], dtype=np.int64),
            "att": np.asarray(ref["att_gt"]["att"], dtype=float),
            "se": np.asarray(ref["att_gt"]["se"], dtype=float),
        }
    ).sort(["g", "t"])
    table = ours.att_gt.sort(["g", "t"])
    assert set(table["g"]) == {2004, 2006}  # no ATT(g,t) for the comparison cohort 2007
    assert table["t"].max() == 2006  # the year 2007 is left out
    assert table.select("g", "t").equals(expected.select("g", "t"))
    np.testing.assert_allclose(table["att"], expected["att"], atol=TOL, rtol=0)
    np.testing.assert_allclose(table["se"], expected["se"], atol=TOL, rtol=0)


def test_cohort_effects_and_overall_equal_csdid(pair):
    ours, ref = pair
    group = ref["group"]
    table = ours.group.sort("g")
    assert table["g"].to_list() == [int(g) for g in group["egt"]] == [2004, 2006]
    np.testing.assert_allclose(table["att"], np.asarray(group["att_egt"], float), atol=TOL, rtol=0)
    np.testing.assert_allclose(table["se"], np.asarray(group["se_egt"], float), atol=TOL, rtol=0)
    assert ours.group_overall.att == pytest.approx(group["overall_att"], abs=TOL)
    assert ours.group_overall.se == pytest.approx(group["overall_se"], abs=TOL)


def test_simple_att_equals_csdid(pair):
    ours, ref = pair
    assert ours.simple.att == pytest.approx(ref["simple"]["overall_att"], abs=TOL)
    assert ours.simple.se == pytest.approx(ref["simple"]["overall_se"], abs=TOL)


@pytest.mark.parametrize(
    ("kind", "table", "overall", "key"),
    [
        ("dynamic", "dynamic", "dynamic_overall", "e"),
        ("calendar", "calendar", "calendar_overall", "t"),
    ],
)
def test_event_time_and_calendar_equal_csdid(pair, kind, table, overall, key):
    ours, ref = pair
    agg = ref[kind]
    frame = getattr(ours, table).sort(key)
    assert frame[key].to_list() == [int(v) for v in agg["egt"]]
    np.testing.assert_allclose(frame["att"], np.asarray(agg["att_egt"], float), atol=TOL, rtol=0)
    np.testing.assert_allclose(frame["se"], np.asarray(agg["se_egt"], float), atol=TOL, rtol=0)
    assert getattr(ours, overall).att == pytest.approx(agg["overall_att"], abs=TOL)
    assert getattr(ours, overall).se == pytest.approx(agg["overall_se"], abs=TOL)


def test_mpdta_note_names_the_comparison_cohort(pair):
    ours, _ = pair
    (note,) = ours.notes
    assert "first treated in 2007, 131 units" in note
    assert "comparison group" in note and "period(s) 2007 are left out" in note
    assert "Note: There are no never-treated units" in ours.summary()


def _synthetic_panel(cohorts: dict[int, int], periods: int = 6) -> pl.DataFrame:
    """Units with fixed effects, a common trend and an effect of 1 + 0.5 e after treatment.

    ``cohorts`` maps each first treated period (0 = never) to its number of units.
    """
    rng = np.random.default_rng(7)
    rows, unit = [], 0
    for first, size in cohorts.items():
        for _ in range(size):
            level = rng.normal()
            for t in range(1, periods + 1):
                effect = 1.0 + 0.5 * (t - first) if 0 < first <= t else 0.0
                y = level + 0.3 * t + effect + rng.normal(scale=0.05)
                rows.append({"unit": unit, "period": t, "first": first, "y": y})
            unit += 1
    return pl.DataFrame(rows)


def _aggregates(result: DidResult) -> list[float]:
    overall = [result.simple, result.dynamic_overall, result.group_overall, result.calendar_overall]
    values = [v for e in overall for v in (e.att, e.se, e.ci_lower, e.ci_upper)]
    for table in (result.att_gt, result.dynamic, result.group, result.calendar):
        values += table["att"].to_list() + table["se"].to_list()
    return values


def test_synthetic_panel_without_never_treated_is_finite_and_says_why():
    panel = _synthetic_panel({3: 10, 4: 10, 5: 10})
    result = did(panel, **SYNTH_ARGS, control="notyet")
    assert all(math.isfinite(v) for v in _aggregates(result))
    assert result.group["g"].to_list() == [3, 4]
    assert 5 not in result.att_gt["g"].to_list()
    assert result.att_gt["t"].max() == 4  # periods 5 and 6 are left out
    (note,) = result.notes
    assert "first treated in 5, 10 units" in note and "period(s) 5, 6 are left out" in note
    # The true effects are 1 at e = 0 and 1.5 at e = 1.
    cells = {(g, t): att for g, t, att in result.att_gt.select("g", "t", "att").iter_rows()}
    assert cells[(3, 3)] == pytest.approx(1.0, abs=0.1)
    assert cells[(3, 4)] == pytest.approx(1.5, abs=0.1)
    assert cells[(4, 4)] == pytest.approx(1.0, abs=0.1)


def test_never_treated_control_without_never_treated_units_is_refused():
    panel = _synthetic_panel({3: 10, 4: 10, 5: 10})
    with pytest.raises(EmptyCohortError, match="no never-treated units"):
        did(panel, **SYNTH_ARGS, control="never")


def test_single_cohort_without_never_treated_is_refused():
    """The only cohort must be the comparison group: nothing is left to estimate."""
    panel = _synthetic_panel({4: 10})
    with pytest.raises(EmptyCohortError, match="comparison group.*nothing to estimate"):
        did(panel, **SYNTH_ARGS, control="notyet")


def test_no_cohort_treated_before_the_last_cohort_is_refused():
    """Cohort 1 is treated in the first period, so it has no period before treatment."""
    panel = _synthetic_panel({1: 5, 4: 10})
    with pytest.raises(EmptyCohortError, match="first treated in 4"):
        did(panel, **SYNTH_ARGS, control="notyet")


def test_cohort_with_no_post_treatment_cell_is_left_out_of_cohort_overall(mpdta):
    """Cohort 2009 is treated after the panel ends: it has pre-treatment cells only.

    R ``did::aggte`` (``na.rm = TRUE``) drops such a group from the cohort
    aggregation; the overall is the size-weighted mean of the other cohorts.
    """
    late = pl.when(pl.col("first.treat") == 2007).then(2009).otherwise(pl.col("first.treat"))
    panel = mpdta.with_columns(late.alias("first.treat"))
    result = did(panel, **ARGS)
    assert all(math.isfinite(v) for v in _aggregates(result))
    assert result.group["g"].to_list() == [2004, 2006]
    sizes = {2004: 20, 2006: 40}
    weighted = sum(sizes[g] * att for g, att in result.group.select("g", "att").iter_rows())
    assert result.group_overall.att == pytest.approx(weighted / sum(sizes.values()), abs=1e-12)
    (note,) = result.notes
    assert "cohort first treated in 2009" in note and "after the last period (2007)" in note


def test_existing_estimate_has_no_notes(mpdta):
    assert did(mpdta, **ARGS).notes == ()
    assert did(mpdta, **ARGS, control="notyet").notes == ()


def test_skipped_cells_are_named_with_their_reason():
    effects = {
        (2004, 2007): {"effect": math.nan, "se": math.nan, "skip_reason": "zero_treated_control"},
        (2006, 2007): {"effect": math.nan, "se": math.nan, "skip_reason": "zero_treated_control"},
        (2006, 2005): {"effect": math.inf, "se": 0.1, "skip_reason": None},
    }
    notes = _skipped_cells_notes(list(effects), effects)
    assert notes == (
        "ATT(g,t) left out of every aggregation because it has no treated or no comparison "
        "units: g=2004 t=2007, g=2006 t=2007.",
        "ATT(g,t) left out of every aggregation because its estimate or standard error "
        "is not finite: g=2006 t=2005.",
    )
