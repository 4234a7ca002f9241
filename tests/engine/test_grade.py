"""Maryland Scientific Methods Scale grades with their reasons."""

import pytest

from mutuals.engine.errors import InvalidOptionError
from mutuals.engine.grade import grade


@pytest.mark.parametrize(
    ("kind", "level"),
    [
        ("before_after", 1),
        ("cross_section", 1),
        ("comparison_post_only", 2),
        ("matched_comparison", 2),
        ("instrumental_variables", 4),
        ("regression_discontinuity", 4),
        ("randomised_trial", 5),
    ],
)
def test_levels_by_kind(kind, level):
    assert grade(kind).level == level


def test_justified_difference_in_differences_is_level_3():
    res = grade("difference_in_differences", pre_periods=8, pretrend_pvalue=0.4, max_abs_smd=0.08)
    assert res.level == 3
    assert res.shortlisted
    assert res.label == "Level 3: before/after with a justified comparison group"
    assert res.tidy()["level"][0] == 3


def test_rejected_pretrend_downgrades_to_2_with_reason():
    res = grade("difference_in_differences", pre_periods=8, pretrend_pvalue=0.01)
    assert res.level == 2
    assert not res.shortlisted
    assert "rejects parallel trends (p = 0.01 < 0.05)" in res.reasons[0]


def test_poor_balance_and_few_pre_periods_each_give_a_reason():
    res = grade("difference_in_differences", pre_periods=1, pretrend_pvalue=0.5, max_abs_smd=0.4)
    assert res.level == 2
    assert len(res.reasons) == 2
    assert "Only 1 pre-period" in res.reasons[0]
    assert "max |SMD| 0.40 > 0.25" in res.reasons[1]
    # a stricter balance rule is configurable
    assert grade("difference_in_differences", pre_periods=8, pretrend_pvalue=0.5,
                 max_abs_smd=0.15, max_smd=0.1).level == 2  # fmt: skip


def test_missing_pretrend_test_is_not_justified():
    res = grade("difference_in_differences", pre_periods=8)
    assert res.level == 2
    assert "No pre-trend test" in res.reasons[0]


def test_synthetic_control_may_be_justified_by_pre_period_fit():
    assert grade("synthetic_control", pre_periods=12, pre_fit_ok=True).level == 3
    poor = grade("synthetic_control", pre_periods=12, pre_fit_ok=False)
    assert poor.level == 2 and "does not fit" in poor.reasons[0]


def test_did_without_a_comparison_group_is_level_1():
    res = grade("difference_in_differences", has_comparison_group=False, pre_periods=8)
    assert res.level == 1
    assert res.to_dict()["level"] == 1


def test_unknown_kind():
    with pytest.raises(InvalidOptionError, match="randomised_trial"):
        grade("rct")
