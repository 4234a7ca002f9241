"""Savings against the counterfactual, with hand-computed values."""

import numpy as np
import polars as pl
import pytest

from mutuals.engine.errors import (
    DuplicatePeriodError,
    InvalidOptionError,
    MissingColumnError,
    MissingYearError,
    ValueOutOfRangeError,
)
from mutuals.engine.savings import green_book_discount_factors, green_book_rate, savings

# base year 2010/11: £100 a unit in-house. Deflator rises 2% a year.
DEFLATOR = {2010: 100.0, 2011: 102.0, 2012: 104.04, 2013: 106.1208}
YEARS = pl.DataFrame(
    {
        "year": [2011, 2012, 2013],
        "activity": [1000, 1100, 1200],
        # nominal costs chosen so real costs are 90,000 / 100,000 / 100,000
        "actual_cost": [91_800.0, 104_040.0, 106_120.8],
    }
)


def run(**options):
    return savings(YEARS, baseline_unit_cost=100.0, base_year=2010, deflator=DEFLATOR, **options)


def test_counterfactual_actual_and_savings_by_year():
    table = run().by_year
    # counterfactual = 100 × activity × 0.96^(year − 2010)
    #   2011: 100 × 1000 × 0.96     =  96,000
    #   2012: 100 × 1100 × 0.9216   = 101,376
    #   2013: 100 × 1200 × 0.884736 = 106,168.32
    assert table["counterfactual_real"].to_list() == pytest.approx([96_000, 101_376, 106_168.32])
    # real = nominal × 100 / deflator: 91,800 / 1.02 = 90,000; 104,040 / 1.0404 = 100,000
    assert table["actual_real"].to_list() == pytest.approx([90_000, 100_000, 100_000])
    assert table["savings_real"].to_list() == pytest.approx([6_000, 1_376, 6_168.32])
    assert table["cumulative_savings_real"][-1] == pytest.approx(13_544.32)


def test_discounted_savings_use_the_green_book_rate():
    res = run()
    # PV = 6,000 / 1.035 + 1,376 / 1.035² + 6,168.32 / 1.035³
    #    = 5,797.10 + 1,284.51 + 5,563.47 = 12,645.08
    expected = 6_000 / 1.035 + 1_376 / 1.035**2 + 6_168.32 / 1.035**3
    assert expected == pytest.approx(12_645.08, abs=0.01)
    assert res.present_value == pytest.approx(expected)
    assert res.by_year["cumulative_savings_present_value"][-1] == pytest.approx(expected)
    assert res.total_savings == pytest.approx(13_544.32)


def test_sensitivity_band_over_the_efficiency_rate():
    totals = run().tidy()
    assert totals["scenario"].to_list() == ["central", "low_efficiency", "high_efficiency"]
    # 2%: 100 × (1000 × 0.98 + 1100 × 0.9604 + 1200 × 0.941192) = 98,000 + 105,644 + 112,943.04
    # savings = 316,587.04 − 290,000 = 26,587.04
    assert totals["savings_real"][1] == pytest.approx(26_587.04)
    # 6%: 100 × (1000 × 0.94 + 1100 × 0.8836 + 1200 × 0.830584) = 94,000 + 97,196 + 99,670.08
    # savings = 290,866.08 − 290,000 = 866.08
    assert totals["savings_real"][2] == pytest.approx(866.08)
    assert totals["efficiency"].to_list() == [0.04, 0.02, 0.06]


def test_requirement_met_or_shortfall():
    short = run(requirement=15_000)
    assert short.requirement_status == "not_met"
    assert short.shortfall == pytest.approx(15_000 - 13_544.32)
    met = run(requirement=10_000)
    assert (met.requirement_status, met.shortfall) == ("met", 0.0)
    # 13,000 is met in real terms but not as a present value (12,645.08)
    pv = run(requirement=13_000, requirement_basis="present_value")
    assert pv.requirement_status == "not_met"
    assert pv.shortfall == pytest.approx(13_000 - 12_645.08, abs=0.01)
    assert run().requirement_status is None


def test_green_book_schedule_steps_down_at_the_boundaries():
    assert [green_book_rate(y) for y in (0, 30, 31, 75, 76, 125, 126, 200, 201, 300, 301)] == [
        0.035, 0.035, 0.03, 0.03, 0.025, 0.025, 0.02, 0.02, 0.015, 0.015, 0.01,
    ]  # fmt: skip
    d = green_book_discount_factors([0, 1, 30, 31, 76, 301])
    d30 = 1.035**-30  # 0.356278
    assert d[0] == 1.0
    assert d[1] == pytest.approx(1 / 1.035)
    assert d[2] == pytest.approx(d30) and d30 == pytest.approx(0.356278, abs=1e-6)
    assert d[3] == pytest.approx(d30 / 1.03)
    assert d[4] == pytest.approx(d30 * 1.03**-45 / 1.025)
    expected_301 = d30 * 1.03**-45 * 1.025**-50 * 1.02**-75 * 1.015**-100 / 1.01
    assert d[5] == pytest.approx(expected_301)


def test_numpy_input_and_no_deflator():
    res = savings(
        {"year": np.array([2011]), "activity": np.array([10.0]), "actual_cost": np.array([900.0])},
        baseline_unit_cost=100.0,
        base_year=2010,
        efficiency=0.0,
    )
    # counterfactual 100 × 10 = 1,000; actual already real: 900; saving 100
    assert res.total_savings == pytest.approx(100.0)
    assert res.to_dict()["by_year"][0]["savings_real"] == pytest.approx(100.0)


def test_errors():
    with pytest.raises(MissingYearError, match="2013"):
        savings(
            YEARS, baseline_unit_cost=100.0, base_year=2010, deflator={2010: 1, 2011: 1, 2012: 1}
        )
    with pytest.raises(InvalidOptionError, match="0.04 for 4%"):
        run(efficiency=4)
    with pytest.raises(MissingColumnError, match="activity"):
        savings(YEARS.drop("activity"), baseline_unit_cost=100.0, base_year=2010)
    with pytest.raises(InvalidOptionError, match="before the base year"):
        savings(YEARS, baseline_unit_cost=100.0, base_year=2012)


# --- inputs that would give a wrong figure are refused, naming the year ---------------------


def _with(**columns):
    """YEARS with some columns replaced."""
    return YEARS.with_columns(pl.Series(name, values) for name, values in columns.items())


def deflated_by(deflator):
    return savings(YEARS, baseline_unit_cost=100.0, base_year=2010, deflator=deflator)


def test_a_negative_cost_is_refused_not_counted_as_a_saving():
    with pytest.raises(ValueOutOfRangeError) as refused:
        savings(
            _with(actual_cost=[91_800.0, -12_400.0, 106_120.8]),
            baseline_unit_cost=100.0,
            base_year=2010,
            deflator=DEFLATOR,
        )
    assert str(refused.value).startswith(
        "2012/13: the actual cost ('actual_cost') is negative (\u221212,400)."
    )


def test_negative_activity_is_refused():
    with pytest.raises(ValueOutOfRangeError, match=r"2013/14: the activity \('activity'\)"):
        savings(
            _with(activity=[1000, 1100, -1]),
            baseline_unit_cost=100.0,
            base_year=2010,
            deflator=DEFLATOR,
        )


def test_a_cost_that_is_not_a_number_is_refused():
    with pytest.raises(ValueOutOfRangeError, match=r"2011/12: the actual cost .* \(NaN\)"):
        savings(
            _with(actual_cost=[float("nan"), 104_040.0, 106_120.8]),
            baseline_unit_cost=100.0,
            base_year=2010,
            deflator=DEFLATOR,
        )
    with pytest.raises(ValueOutOfRangeError, match=r"2012/13: the actual cost .* \(infinity\)"):
        savings(
            _with(actual_cost=[91_800.0, float("inf"), 106_120.8]),
            baseline_unit_cost=100.0,
            base_year=2010,
            deflator=DEFLATOR,
        )


def test_a_year_given_twice_is_refused():
    with pytest.raises(DuplicatePeriodError, match="more than one row for 2012/13;"):
        savings(
            _with(year=[2012, 2011, 2012]),
            baseline_unit_cost=100.0,
            base_year=2010,
            deflator=DEFLATOR,
        )


def test_a_zero_deflator_is_refused_not_divided_by():
    with pytest.raises(InvalidOptionError, match="2012/13 is 0"):
        deflated_by({**DEFLATOR, 2012: 0.0})
    with pytest.raises(InvalidOptionError, match="2010/11 is 0"):  # the base year too
        deflated_by({**DEFLATOR, 2010: 0.0})


def test_a_negative_or_unknown_deflator_is_refused():
    with pytest.raises(InvalidOptionError, match="2013/14 is \u2212106.12"):
        deflated_by({**DEFLATOR, 2013: -106.1208})
    with pytest.raises(InvalidOptionError, match="2011/12 is NaN"):
        deflated_by({**DEFLATOR, 2011: float("nan")})
    # a year the data does not use may hold anything: it is never read
    assert deflated_by({**DEFLATOR, 2030: 0.0}).total_savings == pytest.approx(13_544.32)


def test_a_missing_deflator_year_is_named():
    with pytest.raises(MissingYearError, match="no value for 2013/14"):
        deflated_by({2010: 100.0, 2011: 102.0, 2012: 104.04})


def test_a_deflator_table_with_a_year_twice_is_refused():
    table = pl.DataFrame({"year": [2010, 2011, 2011, 2012, 2013], "deflator": [1.0] * 5})
    with pytest.raises(DuplicatePeriodError, match="deflator has more than one row for 2011/12"):
        deflated_by(table)


def test_valid_inputs_give_the_same_figures_as_before():
    """The checks change nothing for good data: every figure as computed by hand above, in
    any row order, and zero activity and cost are allowed."""
    shuffled = savings(YEARS.reverse(), baseline_unit_cost=100.0, base_year=2010, deflator=DEFLATOR)
    assert shuffled.by_year.equals(run().by_year)
    assert shuffled.totals.equals(run().totals)
    assert run().total_savings == pytest.approx(13_544.32)
    assert run().present_value == pytest.approx(12_645.08, abs=0.01)
    idle = savings(
        _with(activity=[1000, 0, 1200], actual_cost=[91_800.0, 0.0, 106_120.8]),
        baseline_unit_cost=100.0,
        base_year=2010,
        deflator=DEFLATOR,
    )
    assert idle.by_year["savings_real"].to_list() == pytest.approx([6_000, 0, 6_168.32])
