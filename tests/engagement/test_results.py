"""Scores match the engine; small groups and groups that would give them away are hidden."""

from __future__ import annotations

import polars as pl
import pytest

from engagement.conftest import SMALL, add_responses, closed_survey
from mutuals.engagement.models import ITEM_COLUMNS, Response, SurveyStatus
from mutuals.engagement.results import results_table, survey_results
from mutuals.engine.engagement import engagement_scores


def test_scores_match_the_engine(world):
    survey = closed_survey(world["health"], {"A": (12, 4), "B": (15, 2)})
    # Mixed answers and gaps, so the means are not trivial.
    first = Response.objects.filter(survey=survey, group="A").first()
    first.q_look_forward, first.q_recommend_work = 1, None
    first.save()
    rows = list(Response.objects.filter(survey=survey).values("group", *ITEM_COLUMNS))
    engine = engagement_scores(pl.DataFrame(rows), by="group", min_respondents=11).scores
    result = survey_results([survey])[0]
    for score in result.groups:
        expected = engine.filter(pl.col("group") == score.label).row(0, named=True)
        assert score.respondents == expected["respondents"]
        for name in ("motivation", "involvement", "advocacy", "engagement"):
            assert score.__getattribute__(name) == pytest.approx(expected[name], abs=1e-12)
    overall = engagement_scores(pl.DataFrame(rows).with_columns(all=1), by="all").scores
    assert result.overall.engagement == pytest.approx(overall["engagement"][0], abs=1e-12)
    assert result.overall.respondents == 27


def test_a_small_group_and_its_complement_are_hidden(surveyed):
    result = survey_results([surveyed["health"]])[0]
    assert [g.label for g in result.groups] == ["Day teams", "Evening teams"]
    assert result.hidden_groups == 2
    assert result.overall.respondents == 66
    assert "2 groups were too small to show" in result.hidden_sentence
    # What subtraction reveals is the two hidden groups together: 16 people, not 4.
    shown = sum(g.respondents for g in result.groups)
    assert result.overall.respondents - shown == 16


def test_two_small_groups_that_together_reach_the_minimum_need_no_more_hiding(world):
    survey = closed_survey(world["health"], {"A": (30, 3), "B": (20, 4), "C": (4, 5), "D": (9, 1)})
    result = survey_results([survey])[0]
    assert [g.label for g in result.groups] == ["A", "B"]
    assert result.hidden_groups == 2


def test_two_tiny_hidden_groups_still_pull_in_the_next_smallest(world):
    # C and D hold 5 together: subtracting would reveal a group of 5, so B is hidden too.
    survey = closed_survey(world["health"], {"A": (30, 3), "B": (20, 4), "C": (2, 5), "D": (3, 1)})
    result = survey_results([survey])[0]
    assert [g.label for g in result.groups] == ["A"]
    assert result.hidden_groups == 3


def test_a_survey_below_the_minimum_shows_nothing(world):
    survey = closed_survey(world["health"], {"A": (6, 3), "B": (4, 4)})
    result = survey_results([survey])[0]
    assert result.overall is None and result.groups == () and result.hidden_groups == 2
    assert results_table([result]).height == 0


def test_an_open_survey_has_no_results_yet(world):
    survey = closed_survey(world["health"], {"A": (40, 3)})
    survey.status = SurveyStatus.OPEN
    survey.save()
    result = survey_results([survey])[0]
    assert result.overall is None and not result.is_closed


def test_unanswered_group_is_scored_as_not_stated(world):
    survey = closed_survey(world["health"], {"A": (12, 3)})
    add_responses(survey, {"": (11, 4)})
    labels = [g.label for g in survey_results([survey])[0].groups]
    assert labels == ["A", "Not stated"]


def test_the_table_has_one_row_per_shown_score(surveyed):
    table = results_table(survey_results([surveyed["health"]]))
    assert table["group"].to_list() == ["All staff", "Day teams", "Evening teams"]
    assert table["groups_hidden"].unique().to_list() == [2]
    assert SMALL not in table["group"].to_list()
