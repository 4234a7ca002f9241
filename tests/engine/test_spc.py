"""XmR charts: hand-worked examples, each rule, rebasing, assurance, and the
vectorised implementation against the plain per-series loop."""

from datetime import date

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from mutuals.engine.errors import (
    DuplicatePeriodError,
    InvalidOptionError,
    MissingColumnError,
    NonNumericColumnError,
)
from mutuals.engine.spc import spc
from mutuals.engine.spc_reference import spc_reference


def series(values, **options):
    data = pl.DataFrame(
        {"period": range(len(values)), "value": pl.Series(values, dtype=pl.Float64)}
    )
    return spc(data, **options)


def flagged(result, column):
    return np.flatnonzero(result.points[column].to_numpy()).tolist()


# x = 10 12 11 13 12 14 13 12 11 12; sum 120 -> mean 12
# mR = 2 1 2 1 2 1 1 1 1; sum 12 over 9 -> mean mR 4/3
# limits 12 ± 2.66 × 4/3 = 12 ± 3.546667 -> 8.453333, 15.546667
STEADY = [10.0, 12, 11, 13, 12, 14, 13, 12, 11, 12]


def test_worked_example_mean_moving_range_and_limits():
    res = series(STEADY)
    pts = res.points
    assert pts["mean"].unique().to_list() == [12.0]
    assert pts["moving_range"].to_list() == [None, 2, 1, 2, 1, 2, 1, 1, 1, 1]
    assert pts["mean_moving_range"][0] == pytest.approx(4 / 3)
    assert pts["lower_limit"][0] == pytest.approx(8.453333, abs=1e-6)
    assert pts["upper_limit"][0] == pytest.approx(15.546667, abs=1e-6)
    assert not pts["special_cause"].any()
    assert res.tidy()["variation"].to_list() == ["common_cause"]


# x = 10 11 10 11 10 30 10 11 10 11; sum 124 -> mean 12.4
# mR = 1 1 1 1 20 20 1 1 1; sum 47 over 9 -> 5.2222
# screen: 3.267 × 5.2222 = 17.06 -> both 20s dropped; mean mR = 7/7 = 1
# limits 12.4 ± 2.66 -> 9.74, 15.06 (unscreened: 12.4 ± 13.891 -> -1.491, 26.291)
SHOCK = [10.0, 11, 10, 11, 10, 30, 10, 11, 10, 11]


def test_screening_drops_large_moving_ranges_once():
    pts = series(SHOCK, screen_outliers=True).points
    assert pts["mean"][0] == pytest.approx(12.4)
    assert pts["moving_range_used"].to_list() == [False] + [True] * 4 + [False] * 2 + [True] * 3
    assert pts["mean_moving_range"][0] == pytest.approx(1.0)
    assert (pts["lower_limit"][0], pts["upper_limit"][0]) == pytest.approx((9.74, 15.06))
    assert flagged(series(SHOCK, screen_outliers=True), "rule_outside_limits") == [5]

    raw = series(SHOCK, screen_outliers=False).points
    assert raw["mean_moving_range"][0] == pytest.approx(47 / 9)
    assert raw["upper_limit"][0] == pytest.approx(12.4 + 2.66 * 47 / 9)
    assert flagged(series(SHOCK, screen_outliers=False), "rule_outside_limits") == [5]


# 7 points at 9/11 then 7 at 12/14: sum 159, mean 11.357 -> first 7 below, last 7 above
# mR 2 ×6, 1, 2 ×6 -> 25/13 = 1.923; limits 11.357 ± 5.115; 2σ band ± 3.41 (none near)
SHIFT = [9.0, 11, 9, 11, 9, 11, 9, 12, 14, 12, 14, 12, 14, 12]


def test_run_of_seven_on_one_side_flags_every_point_of_the_run():
    res = series(SHIFT, improvement="increase")
    assert flagged(res, "rule_run") == list(range(14))
    assert res.points["variation"].to_list() == (
        ["special_cause_concern"] * 7 + ["special_cause_improvement"] * 7
    )
    assert res.tidy()["variation"].item() == "special_cause_improvement"
    assert flagged(series(SHIFT, run_length=8), "rule_run") == []
    neutral = series(SHIFT, improvement="neutral")
    assert set(neutral.points["variation"]) == {"special_cause_neutral"}
    assert neutral.points["side"].to_list() == [-1] * 7 + [1] * 7  # low, then high


def test_trend_of_seven_strictly_rising_or_falling_points():
    # indices 2..8 hold 1 2 3 4 5 6 7: six strict rises -> seven points flagged
    rising = [4.0, 3, 1, 2, 3, 4, 5, 6, 7, 4]
    assert flagged(series(rising), "rule_trend") == [2, 3, 4, 5, 6, 7, 8]
    assert flagged(series(rising[::-1]), "rule_trend") == [1, 2, 3, 4, 5, 6, 7]
    # only six points in a row rise
    assert flagged(series([4.0, 3, 1, 2, 3, 4, 5, 6, 4]), "rule_trend") == []
    # a tie breaks a trend: 1 2 3 3 4 5 6 7 has at most five rising points in a row
    assert flagged(series([1.0, 2, 3, 3, 4, 5, 6, 7]), "rule_trend") == []
    assert flagged(series([1.0, 2, 3, 3, 4, 5, 6, 7], trend_length=5), "rule_trend") == [
        3, 4, 5, 6, 7,
    ]  # fmt: skip


# 9.5/10.5 ×4, 14 11 14, 10.5 9.5 10.5 9.5, 6 9 6: sum 180 over 18 -> mean 10
# mR: 1 ×7, 3.5 3 3 3.5, 1 ×3, 3.5 3 3 -> 32.5/17 = 1.91176
# limits 10 ± 2.66 × 1.91176 = 10 ± 5.0853; two-thirds: 10 ± 3.3902
# window (14, 11, 14): all above the mean, 14 > 13.39 twice -> the two 14s flagged
# window (6, 9, 6): all below, 6 < 6.61 twice -> the two 6s flagged; 11 and 9 are not
TWO_OF_THREE = [9.5, 10.5] * 4 + [14, 11, 14, 10.5, 9.5, 10.5, 9.5, 6, 9, 6]


def test_two_of_three_beyond_two_thirds_on_the_same_side():
    res = series(TWO_OF_THREE, improvement="increase")
    assert res.points["mean"][0] == pytest.approx(10.0)
    assert res.points["mean_moving_range"][0] == pytest.approx(32.5 / 17)
    assert flagged(res, "rule_two_of_three") == [8, 10, 15, 17]
    assert flagged(res, "special_cause") == [8, 10, 15, 17]
    variation = res.points["variation"].to_list()
    assert variation[8] == variation[10] == "special_cause_improvement"
    assert variation[15] == variation[17] == "special_cause_concern"


def test_two_of_three_needs_all_three_points_on_one_side():
    # (14, 10, 14): the middle point sits on the mean, so no window qualifies
    values = [9.5, 10.5] * 4 + [14, 10, 14, 10.5, 9.5, 10.5, 9.5, 6, 10, 6]
    assert flagged(series(values), "rule_two_of_three") == []


# Labelling: a special cause is improvement or concern by the way its signal points --------


def signals(result):
    return result.points["signal"].to_list()


def labels(result):
    return result.points["variation"].to_list()


# 11/13 ×4 (sum 96), then a rise 9 10 11 12 13 14 15 (sum 84): mean 180/15 = 12, so the
# rise starts below the mean (9 10 11), crosses it on a point exactly on it (12) and ends
# above. mR: 2 ×7, 4, 1 ×6 -> 24/14 = 12/7; limits 12 ± 4.56 (7.44, 16.56), two-thirds
# band 12 ± 3.04: no point beyond or near a limit, no run of 7; the rise (indices 8-14)
# is the only signal.
RISE_FROM_BELOW = [11.0, 13] * 4 + [9, 10, 11, 12, 13, 14, 15]


@pytest.mark.parametrize(
    ("improvement", "label"),
    [("increase", "special_cause_improvement"), ("decrease", "special_cause_concern")],
)
def test_a_rising_trend_is_labelled_by_its_direction_not_by_its_side_of_the_mean(
    improvement, label
):
    res = series(RISE_FROM_BELOW, improvement=improvement)
    assert flagged(res, "special_cause") == flagged(res, "rule_trend") == list(range(8, 15))
    assert res.points["side"].to_list()[8:] == [-1, -1, -1, 0, 1, 1, 1]  # unchanged
    assert signals(res) == [0] * 8 + [1] * 7
    assert labels(res) == ["common_cause"] * 8 + [label] * 7
    assert res.tidy()["variation"].item() == label


def test_a_trend_point_exactly_on_the_mean_follows_the_trend():
    res = series(RISE_FROM_BELOW, improvement="increase")
    on_mean = res.points.row(11, named=True)
    assert on_mean["value"] == on_mean["mean"] == 12.0
    assert (on_mean["side"], on_mean["signal"]) == (0, 1)
    assert on_mean["variation"] == "special_cause_improvement"


def test_a_falling_trend_points_down_on_both_sides_of_the_mean():
    falling = RISE_FROM_BELOW[::-1]  # 15 14 13 (above) 12 (on) 11 10 9 (below), then 13 11 ...
    res = series(falling, improvement="decrease")
    assert signals(res) == [-1] * 7 + [0] * 8
    assert labels(res) == ["special_cause_improvement"] * 7 + ["common_cause"] * 8
    assert labels(series(falling, improvement="increase"))[:7] == ["special_cause_concern"] * 7


# 6 0 6 0 6 (sum 18), then 0 1 2 3 4 5 6 5 4 3 2 1 0 (sum 36): mean 54/18 = 3.
# mR: 6 ×5, 1 ×12 -> 42/17; limits 3 ± 6.57, two-thirds band 3 ± 4.38: nothing beyond or
# near a limit; the longest run on one side is 4 5 6 5 4 (five points). A rise 0..6
# (indices 5-11) and a fall 6..0 (indices 11-17) share the peak at index 11.
PEAK = [6.0, 0, 6, 0, 6] + [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0]


def test_a_peak_shared_by_a_rise_and_a_fall_belongs_to_the_fall_it_starts():
    res = series(PEAK, improvement="increase")
    assert flagged(res, "special_cause") == flagged(res, "rule_trend") == list(range(5, 18))
    assert signals(res) == [0] * 5 + [1] * 6 + [-1] * 7
    improvement, concern = "special_cause_improvement", "special_cause_concern"
    assert labels(res) == ["common_cause"] * 5 + [improvement] * 6 + [concern] * 7
    # the peak lies above the mean, yet it starts the fall: concern when higher is better
    assert res.points.row(11, named=True)["side"] == 1


# 10/14 ×5 (sum 120), then a fall 22 13.5 13 12.5 12 11.5 11 (sum 95.5): mean 12.676.
# mR: 4 ×9, 8, 8.5, 0.5 ×5 -> 55/16 = 3.4375 (3.267 × 3.4375 = 11.2: none screened);
# limits 12.676 ± 9.144 (3.53, 21.82): the fall's first point, 22, lies above the limit.
LIMIT_THEN_FALL = [10.0, 14] * 5 + [22, 13.5, 13, 12.5, 12, 11.5, 11]


def test_a_trend_point_beyond_a_limit_takes_the_side_it_lies_on():
    res = series(LIMIT_THEN_FALL, improvement="increase")
    assert flagged(res, "rule_outside_limits") == [10]
    assert flagged(res, "rule_trend") == list(range(10, 17))
    assert signals(res)[10:] == [1] + [-1] * 6
    assert labels(res)[10:] == ["special_cause_improvement"] + ["special_cause_concern"] * 6


# 10/14 ×5 (sum 120), then a fall 19 18.5 13 12 11 10 9 (sum 92.5): mean 212.5/17 = 12.5.
# mR: 4 ×9, 5, 0.5, 5.5, 1 ×4 -> 51/16 = 3.1875; limits 12.5 ± 8.48 (4.02, 20.98),
# two-thirds band 12.5 ± 5.65 (above 18.15): window (14, 19, 18.5) lies above the mean
# with two points near the limit, so 19 and 18.5 are a 2-of-3 signal and start the fall.
NEAR_THEN_FALL = [10.0, 14] * 5 + [19, 18.5, 13, 12, 11, 10, 9]


def test_a_trend_point_in_a_two_of_three_window_follows_the_trend():
    res = series(NEAR_THEN_FALL, improvement="increase")
    assert flagged(res, "rule_two_of_three") == [10, 11]
    assert flagged(res, "rule_trend") == list(range(10, 17))
    assert not res.points["rule_outside_limits"].any()
    assert signals(res)[10:] == [-1] * 7
    assert labels(res)[10:] == ["special_cause_concern"] * 7


# 12/18 ×4 (sum 120), then 9 9.5 10 10.5 11 11.5 12 (sum 73.5): mean 193.5/15 = 12.9, so
# the last seven points are a run below the mean and a rising trend at once. mR: 6 ×7, 9,
# 0.5 ×6 -> 54/14; limits 12.9 ± 10.26, two-thirds band ± 6.84: nothing beyond or near.
RECOVERY = [12.0, 18] * 4 + [9, 9.5, 10, 10.5, 11, 11.5, 12]


def test_a_trend_point_in_a_run_follows_the_trend():
    res = series(RECOVERY, improvement="decrease")
    assert flagged(res, "rule_run") == flagged(res, "rule_trend") == list(range(8, 15))
    assert signals(res)[8:] == [1] * 7
    assert labels(res)[8:] == ["special_cause_concern"] * 7


def test_a_neutral_metric_says_high_or_low_by_the_signal():
    rise = series(RISE_FROM_BELOW, improvement="neutral")
    assert labels(rise)[8:] == ["special_cause_neutral"] * 7
    assert signals(rise)[8:] == [1] * 7  # high, though three points lie below the mean
    fall = series(RISE_FROM_BELOW[::-1], improvement="neutral")
    assert signals(fall)[:7] == [-1] * 7  # low, though three points lie above it
    shift = series(SHIFT, improvement="neutral")  # a run takes its side: low, then high
    assert signals(shift) == [-1] * 7 + [1] * 7


def test_the_last_point_of_a_trend_keeps_its_direction_when_the_next_trend_starts_after_it():
    # Trends of 3: a rise 0 1 2 (indices 5-7), a drop, another rise 0.5 1.5 2.5 4 (8-11).
    # Index 7 ends the first rise; the step after it goes down but starts no trend, so the
    # point still points up (NHSRplotthedots would give it the sign of that step).
    values = [4.0, 0, 4, 0, 4] + [0, 1, 2, 0.5, 1.5, 2.5, 4] + [0, 4]
    res = series(values, improvement="increase", trend_length=3)
    assert flagged(res, "special_cause") == flagged(res, "rule_trend") == list(range(5, 12))
    assert signals(res) == [0] * 5 + [1] * 7 + [0] * 2


def test_two_series_and_a_rebased_segment_are_labelled_in_one_call():
    # Series B: segment 0 ends on a six-point rise 0..5 that segment 1 (PEAK) continues
    # with 6. Seven rising points in a row, but across a rebase: no trend.
    lead_in = [5.0, 0, 5, 0, 1, 2, 3, 4, 5]
    data = pl.concat(
        [
            pl.DataFrame({"unit": "A", "period": range(15), "value": RISE_FROM_BELOW,
                          "good": "decrease", "rebase": False}),
            pl.DataFrame({"unit": "B", "period": range(27), "value": lead_in + PEAK,
                          "good": "increase", "rebase": [False] * 9 + [True] + [False] * 17}),
        ]
    ).sample(fraction=1.0, shuffle=True, seed=11)  # fmt: skip
    res = spc(data, by="unit", improvement_column="good", rebase_column="rebase")
    a, b = (res.points.filter(pl.col("unit") == unit) for unit in "AB")
    assert a["signal"].to_list() == [0] * 8 + [1] * 7
    assert a["variation"].to_list() == ["common_cause"] * 8 + ["special_cause_concern"] * 7
    assert not b["rule_trend"][:9].any() and not b["special_cause"][:10].any()
    alone = series(PEAK, improvement="increase").points
    assert b["signal"][9:].to_list() == alone["signal"].to_list()
    assert b["variation"][9:].to_list() == alone["variation"].to_list()
    assert res.tidy()["variation"].to_list() == ["special_cause_concern"] * 2


# Cases re-expressed from NHSRplotthedots' tests of its point types: a seven-point rise
# inside "2, 1..7, 3" and a fall inside "2, 7..1, 3" are a trend "increasing" /
# "decreasing" on every one of the seven points, whichever side of the centre line each
# lies; eight points above the centre line between two below are "points above CL". An
# improvement where that direction is the better one, a concern where it is the worse.
@pytest.mark.parametrize(
    ("values", "expected_signal"),
    [
        ([2.0, 1, 2, 3, 4, 5, 6, 7, 3], [0] + [1] * 7 + [0]),  # mean 3.67: 1 2 3 below
        ([2.0, 7, 6, 5, 4, 3, 2, 1, 3], [0] + [-1] * 7 + [0]),  # 3 2 1 below the mean
        ([0.0, 4, 3, 4, 3, 4, 3, 4, 3, 0], [0] + [1] * 8 + [0]),  # mean 2.8: a run above
    ],
)
def test_point_types_as_nhsrplotthedots_labels_them(values, expected_signal):
    res = series(values, improvement="increase")
    assert signals(res) == expected_signal
    name = {0: "common_cause", 1: "special_cause_improvement", -1: "special_cause_concern"}
    assert labels(res) == [name[s] for s in expected_signal]
    flipped = series(values, improvement="decrease")
    assert labels(flipped) == [name[-s] for s in expected_signal]


# segment 0: 1 2 1 2 1 2 -> mean 1.5, mR 1 -> limits -1.16, 4.16
# segment 1: 11 12 11 12 11 12 -> mean 11.5, mR 1 (the 2 -> 11 jump is not a
# within-segment moving range) -> limits 8.84, 14.16; no special cause
# one segment instead: mean 6.5, mR 1 ×10 and 9; screening drops 9 -> limits
# 6.5 ± 2.66 -> every point outside
STEP = [1.0, 2, 1, 2, 1, 2, 11, 12, 11, 12, 11, 12]


def test_rebasing_computes_limits_per_segment():
    res = series(STEP, rebase_at=[6])
    pts = res.points
    assert pts["segment"].to_list() == [0] * 6 + [1] * 6
    assert pts["mean"].unique(maintain_order=True).to_list() == [1.5, 11.5]
    assert pts["moving_range"][6] is None
    assert pts["lower_limit"].unique(maintain_order=True).to_list() == pytest.approx([-1.16, 8.84])
    assert pts["upper_limit"].unique(maintain_order=True).to_list() == pytest.approx([4.16, 14.16])
    assert not pts["special_cause"].any()
    assert res.tidy()["segment"].item() == 1
    assert flagged(series(STEP), "rule_outside_limits") == list(range(12))


def test_rebase_column_matches_rebase_at():
    data = pl.DataFrame({"period": range(12), "value": STEP, "rebase": [0] * 6 + [1] + [0] * 5})
    assert_frame_equal(spc(data, rebase_column="rebase").points, series(STEP, rebase_at=[6]).points)


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        # example limits 8.4533 .. 15.5467
        ("increase", 8.0, "consistently_passing"),
        ("increase", 16.0, "consistently_failing"),
        ("decrease", 8.0, "consistently_failing"),
        ("decrease", 16.0, "consistently_passing"),
        ("increase", 12.0, "inconsistent"),
        ("increase", None, None),
        ("neutral", 8.0, None),
    ],
)
def test_assurance_against_target(improvement, target, expected):
    res = series(STEADY, improvement=improvement, target=target)
    assert res.tidy()["assurance"].item() == expected


def test_many_series_with_per_series_direction_and_target():
    data = pl.concat(
        [
            pl.DataFrame({"org": "A", "metric": "m", "period": range(10), "value": STEADY,
                          "good": "increase", "goal": 8.0}),
            pl.DataFrame({"org": "B", "metric": "m", "period": range(14), "value": SHIFT,
                          "good": "decrease", "goal": 20.0}),
        ]
    )  # fmt: skip
    res = spc(data, by=["org", "metric"], improvement_column="good", target_column="goal")
    summary = res.tidy()
    assert summary["n_points"].to_list() == [10, 14]
    assert summary["variation"].to_list() == ["common_cause", "special_cause_concern"]
    assert summary["assurance"].to_list() == ["consistently_passing", "consistently_passing"]
    assert "2 series, 24 points" in res.summary()
    # a direction that changes within a series counts by its last row
    changed = data.with_columns(good=pl.when(pl.col("period") == 0).then(pl.lit("increase"))
                                .otherwise("good"))  # fmt: skip
    again = spc(changed, by=["org", "metric"], improvement_column="good", target_column="goal")
    assert_frame_equal(again.points, res.points)
    assert res.to_dict()["series"][0]["org"] == "A"


def random_panel(seed: int, n_series: int = 150) -> pl.DataFrame:
    """Integer-valued series (ties, on-mean points) with shifts, trends and rebases."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        n = int(rng.integers(1, 40))
        y = rng.integers(0, 8, n).astype(float)
        if rng.random() < 0.4:
            y[n // 2 :] += rng.integers(2, 6)
        if rng.random() < 0.3:
            y += np.arange(n) * rng.integers(0, 2)
        if rng.random() < 0.1:
            y[rng.integers(0, n)] = 40.0
        frames.append(
            pl.DataFrame({
                "unit": s // 3, "metric": f"m{s % 3}", "period": rng.permutation(n),
                "value": y, "rebase": rng.random(n) < 0.08,
                "good": rng.choice(["increase", "decrease", "neutral"]),
                "goal": float(rng.integers(0, 12)),
            })
        )  # fmt: skip
    return pl.concat(frames).sample(fraction=1.0, shuffle=True, seed=seed)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("screen", [True, False])
@pytest.mark.parametrize(("run_length", "trend_length"), [(5, 4), (7, 7), (7, 3)])
def test_vectorised_equals_per_series_loop(seed, screen, run_length, trend_length):
    options = dict(
        by=["unit", "metric"], rebase_column="rebase", improvement_column="good",
        target_column="goal", screen_outliers=screen, run_length=run_length,
        trend_length=trend_length,
    )  # fmt: skip
    data = random_panel(seed)
    fast, slow = spc(data, **options), spc_reference(data, **options)
    assert_frame_equal(fast.points, slow.points)  # signal and variation included
    assert_frame_equal(fast.series, slow.series)
    assert fast.points["signal"].dtype == pl.Int8
    special = fast.points.filter("special_cause")
    assert special.height > 50  # the rules are exercised
    assert (special["signal"] != 0).all()
    assert (fast.points.filter(~pl.col("special_cause"))["signal"] == 0).all()
    if trend_length < 7:  # short trends often cross the mean: signal and side then differ
        assert (special["signal"] != special["side"]).sum() > 5


def test_rebase_at_equals_loop_on_random_panel():
    options = dict(by=["unit", "metric"], rebase_at=[10, 25], improvement="decrease", target=4.0)
    data = random_panel(7).drop("rebase")
    assert_frame_equal(spc(data, **options).points, spc_reference(data, **options).points)
    assert_frame_equal(spc(data, **options).series, spc_reference(data, **options).series)


def test_missing_values_are_dropped():
    res = series([10.0, None, 12, 11, 13, 12, 14, 13, 12, 11, 12])
    assert res.points.height == 10
    assert res.points["mean"][0] == pytest.approx(12.0)


def test_errors_are_named_and_actionable():
    data = pl.DataFrame({"period": [1, 1], "value": [1.0, 2.0]})
    with pytest.raises(DuplicatePeriodError, match="same 'period'"):
        spc(data)
    with pytest.raises(MissingColumnError, match="'org'"):
        spc(data, by="org")
    with pytest.raises(NonNumericColumnError, match="'value'"):
        spc(pl.DataFrame({"period": [1], "value": ["x"]}))
    with pytest.raises(InvalidOptionError, match="'increase', 'decrease' or 'neutral'"):
        spc(data, improvement="up")
    with pytest.raises(InvalidOptionError, match="at least 2"):
        spc(data, run_length=1)
    bad = pl.DataFrame({"period": [1], "value": [1.0], "good": ["up"]})
    with pytest.raises(InvalidOptionError, match="allowed values"):
        spc(bad, improvement_column="good")


def test_rebase_at_a_date_on_a_date_axis():
    months = pl.date_range(date(2011, 1, 1), date(2011, 12, 1), "1mo", eager=True)
    data = pl.DataFrame({"month": months, "value": STEP})
    res = spc(data, time="month", rebase_at=[date(2011, 7, 1)])
    assert res.points["segment"].to_list() == [0] * 6 + [1] * 6
    assert res.tidy()["last_month"].item() == date(2011, 12, 1)
