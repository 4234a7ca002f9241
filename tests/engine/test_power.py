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
    res = verdict(0.4, design(4), direction="higher_is_better", threshold=0.28, first_post_period=9)
    assert res.verdict == "too_early"
    assert res.ready_at_period == 16
    # quarters from 2011-Q1: index 16 is four years later
    assert res.ready_at_label(quarter_labels("2011-Q1")) == "2015-Q1"
    assert "8 post-periods" in res.reason


def test_too_early_when_the_mde_exceeds_the_threshold():
    # r = 8: MDE = Z × sqrt(0.0625 × 0.125) = 0.2476 > 0.2
    # MDE ≤ 0.2 ⇔ 0.0625 + 0.5/r ≤ 0.081541 ⇔ r ≥ 26.26 -> 27 periods; ready at 27 − 1 = 26
    res = verdict(0.4, design(8), direction="higher_is_better", threshold=0.2)
    assert res.verdict == "too_early"
    assert res.mde == pytest.approx(Z * math.sqrt(0.0625 * 0.125), abs=1e-5)
    assert res.ready_at_period == 26
    hopeless = verdict(0.4, design(8), direction="higher_is_better", threshold=0.15)
    assert hopeless.ready_at_period is None and "more comparable units" in hopeless.reason


@pytest.mark.parametrize(
    ("confint", "direction", "expected"),
    [
        ((0.1, 0.5), "higher_is_better", "improved"),
        ((0.1, 0.5), "lower_is_better", "worsened"),
        ((-0.5, -0.1), "higher_is_better", "worsened"),
        ((-0.5, -0.1), "lower_is_better", "improved"),
        ((-0.1, 0.3), "higher_is_better", "no_detectable_effect"),
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
