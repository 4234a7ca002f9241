"""The judgement after the numbers: multiplicity control, placebo intervals and their verdicts.

Each class of fault the verdicts once had is a case here: a synthetic control that
cannot reach the level saying "no effect"; a run of many tests with no multiplicity
control; an interval clear of zero not read as a finding.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from mutuals.engine.errors import InvalidOptionError
from mutuals.engine.multiplicity import control, counting_bound
from mutuals.engine.power import placebo_verdict
from mutuals.engine.synth import placebo_interval, placebo_p, synth

# --- multiplicity -------------------------------------------------------------------------


def test_benjamini_hochberg_by_hand():
    # m = 5, α = 0.05: thresholds k × 0.01. Sorted p: 0.001 ≤ 0.01, 0.008 ≤ 0.02,
    # 0.031 > 0.03, 0.039 ≤ 0.04, 0.2 > 0.05 -> R = 4: the step-up takes the largest k,
    # so 0.031 is a finding although it misses its own threshold.
    p = [0.039, 0.001, 0.2, 0.008, 0.031]
    result = control(p, alpha=0.05)
    assert result.tests == 5 and result.findings == 4
    assert result.rejected.tolist() == [True, True, False, True, True]
    # adjusted p: min over k ≥ rank of m p_(k) / k: 0.001×5=0.005, 0.008×5/2=0.02,
    # 0.031×5/3=0.0517 -> min(0.0517, 0.039×5/4=0.04875)=0.04875, 0.04875, 0.2
    assert result.adjusted == pytest.approx([0.04875, 0.005, 0.2, 0.02, 0.04875])
    # intervals at 1 − R α / m = 1 − 4 × 0.05 / 5 = 0.96
    assert result.interval_alpha == pytest.approx(0.04)
    assert result.expected_by_chance == pytest.approx(0.25)


def test_adjusted_interval_level_matches_the_findings_exactly():
    """A p-value at or below the interval's α is a finding and nothing else is, so an
    interval clear of zero always goes with a finding."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        m = int(rng.integers(1, 40))
        p = np.where(rng.random(m) < 0.3, rng.random(m) * 0.01, rng.random(m))
        result = control(p, alpha=0.05)
        assert ((p <= result.interval_alpha * (1 + 1e-12)) == result.rejected).all()


def test_no_findings_builds_intervals_at_alpha_over_m():
    result = control([0.5, 0.3, 0.9, 0.04], alpha=0.05)
    assert result.findings == 0
    assert result.interval_alpha == pytest.approx(0.05 / 4)


def test_tests_that_could_never_be_findings_are_not_counted():
    # Ten continuous tests and five placebo tests with 20 comparators (smallest p 1/21):
    # K = 10 is the smallest count with at most K tests able to reach 0.05 / K; the
    # placebo tests cannot reach 0.005 and are left out, so the others are not charged.
    smallest = [0.0] * 10 + [1 / 21] * 5
    assert counting_bound(np.array(smallest), 0.05) == pytest.approx(0.005)
    p = [0.001] * 3 + [0.6] * 7 + [1 / 21] * 5
    result = control(p, smallest_p=smallest, alpha=0.05)
    assert result.tests == 10 and result.not_counted == 5
    assert not result.rejected[10:].any() and np.isnan(result.adjusted[10:]).all()
    assert result.findings == 3
    # with every test counted, the three would need p ≤ 3 × 0.05 / 15
    assert result.interval_alpha == pytest.approx(3 * 0.05 / 10)


def test_multiplicity_refuses_bad_input():
    with pytest.raises(InvalidOptionError, match="from 0 to 1"):
        control([0.2, 1.5])
    with pytest.raises(InvalidOptionError, match="alpha"):
        control([0.2], alpha=0)
    with pytest.raises(InvalidOptionError, match="one smallest"):
        control([0.2, 0.3], smallest_p=[0.0])
    assert control([]).tests == 0


# --- the placebo interval --------------------------------------------------------------------


def _panel(effect: float, donors: int, seed: int = 1, pre: int = 12, post: int = 8):
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(donors + 1):
        level = rng.normal(10, 1)
        for t in range(pre + post):
            value = level + 0.1 * t + rng.normal(0, 0.3)
            if unit == 0 and t >= pre:
                value += effect
            rows.append((unit, t, value))
    return pl.DataFrame(rows, schema=["unit", "time", "y"], orient="row")


def _fit(frame: pl.DataFrame, pre: int = 12):
    return synth(frame, outcome="y", unit="unit", time="time", treated=0, start=pre, placebo=True)


@pytest.mark.parametrize("effect", [0.0, 0.4, 2.0])
def test_placebo_interval_inverts_the_placebo_test(effect):
    """The interval holds exactly the constant effects the test does not reject: shift
    the treated unit's post-period outcomes by δ, refit, and the p-value is above α
    inside the interval and at most α outside it."""
    frame = _panel(effect, donors=39)
    fit = _fit(frame)
    low, high = fit.confint(0.05)
    assert low < fit.att < high
    assert (low > 0 or high < 0) == (fit.placebo_p <= 0.05)
    for delta, inside in ((low + 0.02, True), (high - 0.02, True), (low - 0.02, False),
                          (high + 0.02, False)):  # fmt: skip
        shifted = frame.with_columns(
            pl.when((pl.col("unit") == 0) & (pl.col("time") >= 12))
            .then(pl.col("y") - delta)
            .otherwise(pl.col("y"))
            .alias("y")
        )
        assert (_fit(shifted).placebo_p > 0.05) == inside, delta


def test_placebo_interval_and_p_value_agree_on_random_inputs():
    rng = np.random.default_rng(11)
    for _ in range(500):
        donors = int(rng.integers(19, 80))
        ratios = rng.gamma(2.0, 1.0, donors)
        gaps = rng.normal(rng.normal(0, 2), 1, int(rng.integers(1, 12)))
        pre = float(rng.gamma(2.0, 0.5))
        treated_ratio = math.sqrt(np.mean(gaps**2)) / pre
        p = placebo_p(ratios, treated_ratio)
        bounds = placebo_interval(gaps, pre, ratios, 0.05)
        if bounds is None:
            assert p <= 0.05  # every constant effect rejected, zero included
            continue
        low, high = bounds
        assert (low <= 0 <= high) == (p > 0.05)


def test_placebo_interval_cannot_be_bounded_with_too_few_comparators():
    assert placebo_interval([1.0, 2.0], 0.5, np.ones(15), 0.05) == (-math.inf, math.inf)


# --- the synthetic-control verdict -----------------------------------------------------------


def _placebo_verdict(donors, confint, p, **options):
    options = {
        "direction": "higher_is_better", "threshold": 0.5, "post_periods": 12,
        "first_post_period": 20,
    } | options  # fmt: skip
    return placebo_verdict(1.0, confint, p_value=p, donors=donors, **options)


def test_a_placebo_test_that_cannot_reach_the_level_cannot_assess():
    # The fault: 15 comparators, the treated gap the largest of all (p = 1/16), and the
    # verdict "no detectable effect: gaps this large are common among comparators".
    res = _placebo_verdict(15, (-math.inf, math.inf), 1 / 16)
    assert res.verdict == "cannot_assess"
    assert res.comparators_needed == 19
    assert "1 in 16" in res.reason and "at least 19 comparators" in res.reason
    # 19 comparators can reach 5% (1/20): judged on its interval
    assert _placebo_verdict(19, (0.4, 1.6), 0.05).verdict == "improved"


def test_a_placebo_verdict_under_a_multiplicity_control_says_the_level_needed():
    res = _placebo_verdict(150, (-math.inf, math.inf), 1 / 151, level=1 - 0.001, tests=50)
    assert res.verdict == "cannot_assess"
    assert "0.1% level" in res.reason and "50 tests" in res.reason
    assert res.comparators_needed == 999


@pytest.mark.parametrize(
    ("confint", "post", "expected"),
    [
        ((0.2, 1.8), 12, "improved"),
        ((-1.8, -0.2), 12, "worsened"),
        ((-0.3, 0.4), 12, "no_important_effect"),
        ((-0.3, 0.4), 4, "too_early"),
        ((-0.3, 1.8), 12, "inconclusive"),
        ((-0.3, 1.8), 4, "too_early"),
        ((0.1, 0.3), 4, "improved"),
    ],
)
def test_placebo_verdicts_read_the_interval(confint, post, expected):
    res = _placebo_verdict(40, confint, 0.5, post_periods=post, min_post_periods=8)
    assert res.verdict == expected
    if expected == "too_early":
        assert res.ready_at_period == 27
    if confint == (0.1, 0.3):
        assert res.below_threshold
