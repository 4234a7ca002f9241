"""Engagement scores, suppression, and the fixed-effects link."""

import numpy as np
import polars as pl
import pytest

from mutuals.engine.engagement import ENGAGEMENT_ITEMS, engagement_link, engagement_scores
from mutuals.engine.errors import MissingColumnError, ValueOutOfRangeError

MOTIVATION, INVOLVEMENT, ADVOCACY = ENGAGEMENT_ITEMS.values()


def respondents(org, n, motivation=4, involvement=3, advocacy=5):
    row = dict.fromkeys(MOTIVATION, motivation) | dict.fromkeys(INVOLVEMENT, involvement)
    row |= dict.fromkeys(ADVOCACY, advocacy)
    return [{"org": org, "year": 2012, **row} for _ in range(n)]


def survey():
    rows = respondents("A", 10)
    # one A respondent: look forward 1 (0), enthusiastic blank, time passes 5 (10)
    rows.append(rows[0] | {"q_look_forward": 1, "q_enthusiastic": None, "q_time_passes": 5})
    rows += respondents("B", 10, motivation=1)
    # someone who answered nothing is not a respondent
    rows.append(dict.fromkeys(rows[0], None) | {"org": "A", "year": 2012})
    return pl.DataFrame(rows)


def test_scores_by_hand():
    res = engagement_scores(survey(), by=["org", "year"])
    a = res.tidy().row(0, named=True)
    # motivation: ten people at 4 -> 7.5, one at mean(0, 10) = 5 -> (75 + 5) / 11 = 7.2727
    # involvement: all 3 -> 5; advocacy: all 5 -> 10
    # engagement = (7.2727 + 5 + 10) / 3 = 7.4242
    assert a["respondents"] == 11
    assert a["motivation"] == pytest.approx(80 / 11)
    assert (a["involvement"], a["advocacy"]) == (5.0, 10.0)
    assert a["engagement"] == pytest.approx((80 / 11 + 15) / 3)


def test_small_groups_are_suppressed_and_only_counted():
    res = engagement_scores(survey(), by="org")
    assert res.scores["org"].to_list() == ["A"]
    assert res.suppressed_groups == 1
    assert "B" not in str(res.to_dict()["scores"])
    shown = engagement_scores(survey(), by="org", min_respondents=10)
    assert shown.scores.filter(pl.col("org") == "B")["motivation"].item() == 0.0
    assert shown.suppressed_groups == 0


def test_answers_must_be_on_the_scale():
    bad = survey().with_columns(pl.lit(6).alias("q_recommend_work"))
    with pytest.raises(ValueOutOfRangeError, match="'q_recommend_work' holds 6"):
        engagement_scores(bad, by="org")
    with pytest.raises(MissingColumnError, match="q_initiative"):
        engagement_scores(survey().drop("q_initiative"), by="org")


def panel(seed=11, units=12, years=6):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), years)
    year = np.tile(np.arange(2010, 2010 + years), units)
    engagement = (
        6 + rng.normal(0, 0.6, units)[unit] + 0.1 * (year - 2010) + rng.normal(0, 0.5, unit.size)
    )
    quality = 50 + 3 * rng.normal(size=units)[unit] + (year - 2010) + 2.0 * engagement
    quality = quality + rng.normal(0, 1, unit.size)
    return pl.DataFrame({"unit": unit, "year": year, "engagement": engagement, "quality": quality})


def within_ols(df):
    """β from two-way demeaned data: ẍ = x − x̄_unit − x̄_year + x̄ (balanced panel)."""

    def demean(col):
        return df.select(
            pl.col(col) - pl.col(col).mean().over("unit") - pl.col(col).mean().over("year")
            + pl.col(col).mean()
        ).to_series().to_numpy()  # fmt: skip

    x, y = demean("engagement"), demean("quality")
    return float(x @ y / (x @ x))


def test_fixed_effects_coefficient_matches_within_transformation():
    data = panel()
    res = engagement_link(data, outcome="quality")
    assert res.coef == pytest.approx(within_ols(data), rel=1e-8)
    assert res.coef == pytest.approx(2.0, abs=0.5)
    assert res.nobs == 72 and res.n_units == 12
    assert res.confint[0] < res.coef < res.confint[1]
    assert res.se > 0 and 0 <= res.pvalue < 0.05
    assert "association, not proof of cause" in res.caveat
    assert res.tidy()["estimate"][0] == res.coef
    assert "not proof of cause" in res.summary()


def test_an_outcome_that_never_moves_within_units_is_no_variation():
    from mutuals.engine.errors import NoVariationError

    rng = np.random.default_rng(3)
    rows = [
        (unit, year, float(unit), float(rng.normal())) for unit in range(5) for year in range(4)
    ]
    panel = pl.DataFrame(rows, schema=["unit", "year", "outcome", "engagement"], orient="row")
    with pytest.raises(NoVariationError):
        engagement_link(panel, outcome="outcome")
