"""Surveys in the web tests' small world, and people in each role.

:func:`closed_survey` builds a survey with responses per group, answers given as one
value per group (every respondent of a group answers every statement alike), so each
group's scores are known: answer ``a`` scores 2.5 × (a − 1).
"""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.conftest import _fast_hashing, make_user, people, sign_in  # noqa: F401
from api.conftest import Api, tokens  # noqa: F401
from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey, SurveyStatus
from web.conftest import _fresh_cache, auditor, auditor_client, world  # noqa: F401

# The small group every acceptance test looks for: 4 people, all answering 5 (score 10.0).
SMALL = "Night shift rota"


def closed_survey(
    organisation, groups: dict[str, tuple[int, int]], *, year=2012, published=True, size=11
) -> Survey:
    """groups: label -> (respondents, the answer each gives to every statement)."""
    survey = Survey.objects.create(
        organisation=organisation,
        year=year,
        title=f"Staff survey {year}",
        opens_on=dt.date(year, 10, 1),
        closes_on=dt.date(year, 11, 30),
        status=SurveyStatus.CLOSED,
        min_group_size=size,
        results_published=published,
        group_question="Which rota are you on?",
        group_choices=list(groups),
    )
    add_responses(survey, groups)
    return survey


def add_responses(survey, groups: dict[str, tuple[int, int]]) -> None:
    Response.objects.bulk_create(
        Response(survey=survey, group=label, **dict.fromkeys(ITEM_COLUMNS, answer))
        for label, (count, answer) in groups.items()
        for _ in range(count)
    )


@pytest.fixture
def surveyed(world):  # noqa: F811
    """Brackenford's published 2012 survey: Day (30 answering 3), Evening (20, 2), Weekend
    (12, 4) and the small group (4, 5), so Weekend is hidden too, lest the small group be
    derived from the total; and Fenmoor's unpublished survey."""
    health = closed_survey(
        world["health"],
        {"Day teams": (30, 3), "Evening teams": (20, 2), "Weekend teams": (12, 4), SMALL: (4, 5)},
    )
    practice = closed_survey(world["practice"], {"All": (15, 2)}, published=False)
    return {"health": health, "practice": practice}


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def as_role(client, tokens):  # noqa: F811
    return lambda role: Api(client, tokens[role])
