"""Minimum detectable effect and the verdict, checked against hand arithmetic.

Design used throughout: 20 treated, 80 control units, 8 pre-periods,
σ² = 1, ρ = 0.5, α = 0.05, power 0.8.
  1/n_T + 1/n_C = 0.05 + 0.0125 = 0.0625
  bracket(r) = (1 + 7 × 0.5)/8 + (1 + (r − 1) × 0.5)/r − 1 = 0.0625 + 0.5/r
  z_{0.975} + z_{0.8} = 1.959964 + 0.841621 = 2.801585
"""

import json
import math

import pytest

from mutuals.engine.errors import InvalidOptionError
from mutuals.engine.power import PowerDesign, mde, period_label, quarter_labels, verdict

Z = 2.801585


def design(post_periods, **options):
    options = {"variance": 1.0, "autocorrelation": 0.5} | options
    return PowerDesign(20, 80, 8, post_periods, **options)


def test_mde_by_hand():
    # r = 4: bracket 0.0625 + 0.125 = 0.1875; SE = sqrt(0.0625 × 0.1875) = 0.108253
    res = mde(20, 80, 8, 4, variance=1.0, autocorrelation=0.5)
    assert res.se == pytest.approx(0.108253, abs=1e-6)
    assert res.mde == pytest.approx(Z * 0.108253, abs=1e-5)  # 0.303280
    # no autocorrelation: bracket 1/8 + 1/4 = 0.375; SE = sqrt(0.0234375) = 0.153093
    assert mde(20, 80, 8, 4, variance=1.0).mde == pytest.approx(Z * 0.153093, abs=1e-5)
    assert res.tidy()["mde"][0] == pytest.approx(0.30328, abs=1e-5)


def test_observed_se_is_projected_by_the_formula_ratio():
    # bracket(16) / bracket(4) = 0.09375 / 0.1875 = 0.5 -> SE × sqrt(0.5)
    observed = design(4, variance=None, se=0.2)
    assert observed.standard_error(16) == pytest.approx(0.2 * math.sqrt(0.5))
    assert observed.mde() == pytest.approx(Z * 0.2, abs=1e-5)


def test_periods_needed_and_the_floor():
    # MDE ≤ 0.28 ⇔ 0.0625 + 0.5/r ≤ (0.28/Z)² / 0.0625 = 0.159819 ⇔ r ≥ 5.14 -> 6
    assert design(4).mde(5) > 0.28 > design(4).mde(6)
    assert design(4).periods_needed(0.28) == 6
    # as r -> ∞ the MDE falls to Z × sqrt(0.0625 × 0.0625) = 0.1751: 0.15 is out of reach
    assert design(4).periods_needed(0.15) is None


def test_too_early_with_few_post_periods_says_when():
    # needs 6 periods for the MDE, but the minimum is 8: ready at 9 + 8 − 1 = 16
    # the interval 0.1 ± 1.96 × 0.108253 = (−0.112, 0.312) spans 0 and the threshold
    res = verdict(0.1, design(4), direction="higher_is_better", threshold=0.28, first_post_period=9)
    assert res.verdict == "too_early"
    assert res.ready_at_period == 16
    # quarters from 2011-Q1: index 16 is four years later
    assert res.ready_at_label(quarter_labels("2011-Q1")) == "2015-Q1"
    assert "after 8 post-periods" in res.reason


def test_too_early_when_the_mde_exceeds_the_threshold():
    # r = 8: SE = sqrt(0.0625 × 0.125) = 0.088388, MDE = Z × SE = 0.2476 > 0.2
    # MDE ≤ 0.2 ⇔ 0.0625 + 0.5/r ≤ 0.081541 ⇔ r ≥ 26.26 -> 27 periods; ready at 27 − 1 = 26
    # estimate 0.1: interval 0.1 ± 0.17324 = (−0.073, 0.273) spans 0 and 0.2
    res = verdict(0.1, design(8), direction="higher_is_better", threshold=0.2)
    assert res.verdict == "too_early"
    assert res.mde == pytest.approx(Z * math.sqrt(0.0625 * 0.125), abs=1e-5)
    assert res.ready_at_period == 26
    assert "after 27 post-periods" in res.reason


def test_cannot_assess_when_waiting_would_not_help_says_what_would():
    # the MDE's floor is 0.1751 (see above): 0.15 is out of reach however long it runs
    hopeless = verdict(0.1, design(8), direction="higher_is_better", threshold=0.15)
    assert hopeless.verdict == "cannot_assess"
    assert hopeless.ready_at_period is None
    # more comparators shrink 1/n_T + 1/n_C towards 1/20 = 0.05; at 8 periods the MDE is
    # then Z × sqrt(0.05 × 0.125) = 0.2215 > 0.15: even unlimited comparators would not do
    assert hopeless.comparators_needed is None
    assert "unlimited comparators would not" in hopeless.reason
    # 20 treated and 20 control at 8 periods: MDE = Z × sqrt(0.1 × 0.125) = 0.3132 > 0.3.
    # (1/20 + 1/n_C) × 0.125 × Z² ≤ 0.09 ⇔ 1/n_C ≤ 0.04173 ⇔ n_C ≥ 23.96 -> 24 comparators
    few = PowerDesign(20, 20, 8, 8, variance=1.0, autocorrelation=0.5)
    assert few.comparators_needed(0.3, 8) == 24
    # but waiting helps too (0.1 × (0.0625 + 0.5/r) × Z² ≤ 0.09 from r = 10), so the
    # verdict is too early, not cannot assess
    res = verdict(0.1, few, direction="higher_is_better", threshold=0.3, confint=(-0.2, 0.4))
    assert res.verdict == "too_early" and res.ready_at_period == 9


def test_an_interval_clear_of_zero_is_a_finding_however_early():
    # The fault: an interval of (−7.96, −4.04) with the MDE above the threshold was "too
    # early". Clear of zero is a finding, whatever the periods or the power.
    early = PowerDesign(3, 10, 8, 2, se=1.0, df=3)
    res = verdict(-6.0, early, direction="higher_is_better", threshold=1.0, confint=(-7.96, -4.04))
    assert res.verdict == "worsened"
    assert res.ready_at_period is None
    assert "clear of no effect" in res.reason
    assert "e+" not in res.reason and "−7.96 to −4.04" in res.reason


def test_a_clear_but_small_effect_is_flagged_below_the_threshold():
    res = verdict(0.03, design(12), direction="higher_is_better", threshold=0.3,
                  confint=(0.01, 0.05))  # fmt: skip
    assert res.verdict == "improved" and res.below_threshold
    assert "smallest effect that matters" in res.reason
    big = verdict(0.5, design(12), direction="higher_is_better", threshold=0.3,
                  confint=(0.2, 0.8))  # fmt: skip
    assert big.verdict == "improved" and not big.below_threshold


def test_no_important_effect_when_the_interval_rules_out_the_threshold_both_ways():
    res = verdict(0.02, design(12), direction="lower_is_better", threshold=0.3,
                  confint=(-0.1, 0.14))  # fmt: skip
    assert res.verdict == "no_important_effect"
    # too few periods to trust a null yet: too early, from the minimum
    early = verdict(0.02, design(4), direction="lower_is_better", threshold=0.3,
                    confint=(-0.1, 0.14), first_post_period=10)  # fmt: skip
    assert early.verdict == "too_early" and early.ready_at_period == 17


def test_inconclusive_when_powered_but_the_interval_spans_zero_and_the_threshold():
    # r = 12: MDE 0.2261 ≤ 0.3, yet (−0.05, 0.35) holds both 0 and 0.3
    res = verdict(0.15, design(12), direction="higher_is_better", threshold=0.3,
                  confint=(-0.05, 0.35))  # fmt: skip
    assert res.verdict == "inconclusive"


@pytest.mark.parametrize(
    ("confint", "direction", "expected"),
    [
        ((0.1, 0.5), "higher_is_better", "improved"),
        ((0.1, 0.5), "lower_is_better", "worsened"),
        ((-0.5, -0.1), "higher_is_better", "worsened"),
        ((-0.5, -0.1), "lower_is_better", "improved"),
        ((-0.1, 0.3), "higher_is_better", "inconclusive"),
        ((-0.1, 0.2), "higher_is_better", "no_important_effect"),
    ],
)
def test_verdict_is_direction_aware(confint, direction, expected):
    # r = 12: MDE = Z × sqrt(0.0625 × (0.0625 + 0.5/12)) = 0.2261 ≤ 0.3
    res = verdict(0.3, design(12), direction=direction, threshold=0.3, confint=confint)
    assert res.verdict == expected
    assert res.ready_at_period is None


def test_confidence_interval_from_the_design_se():
    # SE(12) = sqrt(0.0625 × 0.104167) = 0.080687; CI 0.5 ± 1.96 × 0.080687
    res = verdict(0.5, design(12), direction="higher_is_better", threshold=0.3)
    assert res.confint == pytest.approx((0.5 - 0.158146, 0.5 + 0.158146), abs=1e-5)
    assert res.verdict == "improved"
    assert res.tidy()["verdict"][0] == "improved"


def test_student_t_quantiles_with_degrees_of_freedom():
    # df = 4: t_{0.975} + t_{0.8} = 2.776445 + 0.940965 = 3.717410 (Bloom's MDE multiplier)
    small = mde(3, 80, 8, 4, variance=1.0, autocorrelation=0.5, df=4)
    assert small.design.multiplier == pytest.approx(3.717410, abs=1e-6)
    assert small.mde == pytest.approx(small.design.multiplier * small.se, rel=1e-12)
    # infinite df is the normal case
    assert mde(3, 80, 8, 4, variance=1.0, df=math.inf).design.multiplier == pytest.approx(Z)
    # with no interval given, the verdict's interval uses the t critical value too
    res = verdict(0.5, design(12, df=4), direction="higher_is_better", threshold=0.5)
    half = 2.776445 * 0.080687
    assert res.confint == pytest.approx((0.5 - half, 0.5 + half), abs=1e-5)
    with pytest.raises(InvalidOptionError, match="df must be positive"):
        PowerDesign(20, 80, 8, 4, variance=1.0, df=0)


def test_labels_and_errors():
    assert period_label(2, ["2011-Q1", "2011-Q2", "2011-Q3"]) == "2011-Q3"
    assert period_label(None, ["a"]) is None
    assert quarter_labels("2012-Q4")(1) == "2013-Q1"
    with pytest.raises(InvalidOptionError, match="beyond the 1 labels"):
        period_label(3, ["a"])
    with pytest.raises(InvalidOptionError, match="'2011-Q2'"):
        quarter_labels("2011/12")
    with pytest.raises(InvalidOptionError, match="either"):
        PowerDesign(1, 1, 1, 1)
    with pytest.raises(InvalidOptionError, match="higher_is_better"):
        verdict(0.1, design(12), direction="up", threshold=0.3)


def test_no_post_periods_yet_is_too_early_and_serialises_to_json():
    res = verdict(0.0, design(0), direction="lower_is_better", threshold=0.28, first_post_period=4)
    assert res.verdict == "too_early"
    assert math.isinf(res.mde)
    assert res.ready_at_period == 4 + 8 - 1
    plain = json.loads(json.dumps(res.to_dict()))
    assert plain["mde"] is None and plain["confint"] == [None, None]
