"""Survey results, with small groups suppressed: the one way results leave the database.

Every output — the provider page, the survey page, the API, the CSV and Parquet
downloads, open data and the engagement → quality link — reads scores through
:func:`survey_results`. It scores with the engine
(:func:`mutuals.engine.engagement.engagement_scores`) and then applies the rules:

1. **Only closed surveys have results.** Watching an open survey's figures move after a
   colleague answers would reveal their answers.
2. **Small groups never appear.** A group with fewer respondents than the survey's
   ``min_group_size`` is dropped by the engine; nothing about it (label, count or
   score) is returned, only how many groups were hidden.
3. **No subtraction back to a hidden group.** The whole survey's figure is a weighted
   mean of its groups, so with one group hidden its count and scores could be worked
   out from the total and the groups shown. So when any group is hidden, more groups
   are hidden — smallest first — until at least two are and together they hold at
   least ``min_group_size`` respondents: what subtraction then reveals is a combined
   group no smaller than any group that may be shown.
4. A survey with fewer respondents in all than ``min_group_size`` shows nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl
from django.core.cache import cache
from django.db.models import CharField, Count, Max, Min
from django.db.models.functions import Cast

from mutuals.engagement.models import ITEM_COLUMNS, NOT_STATED, Response, Survey, SurveyStatus
from mutuals.engine.engagement import ENGAGEMENT_ITEMS, engagement_scores
from mutuals.returns.reading import read_frame

SUBSCORES = tuple(ENGAGEMENT_ITEMS)  # motivation, involvement, advocacy
SCORE_FIELDS = (*SUBSCORES, "engagement")
ALL_STAFF = "All staff"
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Score:
    label: str
    respondents: int
    motivation: float
    involvement: float
    advocacy: float
    engagement: float

    def as_json(self) -> dict:
        return {
            "group": self.label,
            "respondents": self.respondents,
            **{name: round(getattr(self, name), 2) for name in SCORE_FIELDS},
        }


@dataclass(frozen=True)
class SurveyResult:
    survey: Survey
    overall: Score | None  # None: the survey is open, or had too few respondents
    groups: tuple[Score, ...]
    hidden_groups: int

    @property
    def is_closed(self) -> bool:
        return self.survey.status == SurveyStatus.CLOSED

    @property
    def groups_with_total(self) -> tuple[Score, ...]:
        return (self.overall, *self.groups) if self.overall is not None else ()

    @property
    def hidden_sentence(self) -> str:
        if not self.hidden_groups:
            return ""
        n = self.hidden_groups
        return (
            f"{n} group{'s were' if n != 1 else ' was'} too small to show, or hidden so that "
            "a small group's figures cannot be worked out from the total."
        )


def survey_results(surveys: Iterable[Survey]) -> list[SurveyResult]:
    """Each survey's publishable scores, in the order given (see the module's rules)."""
    surveys = list(surveys)
    closed = [s for s in surveys if s.status == SurveyStatus.CLOSED]
    found = _closed_scores(closed)
    return [
        _suppressed(survey, *found.get(survey.pk, (None, [], 0)))
        if survey.status == SurveyStatus.CLOSED
        else SurveyResult(survey, None, (), 0)
        for survey in surveys
    ]


def _closed_scores(closed: list[Survey]) -> dict[int, tuple]:
    """Each closed survey's scores (see :func:`_scored`), kept in the cache under what they
    are made from: the surveys and their group-size rules, and how many answers they hold
    with the first and last answer's id. A closed survey takes no answers, so the key
    changes only if someone edits answers by hand, and then the scores are made again."""
    if not closed:
        return {}
    ids = sorted(s.pk for s in closed)
    answers = Response.objects.filter(survey_id__in=ids).aggregate(
        # Random ids, compared as text (PostgreSQL has no MIN of a uuid).
        n=Count("pk"),
        first=Min(Cast("pk", CharField())),
        last=Max(Cast("pk", CharField())),
    )
    made_of = (sorted((s.pk, s.min_group_size) for s in closed), answers)
    key = "survey-scores:" + hashlib.sha256(repr(made_of).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        responses = _responses(ids)
        found = {}
        for size in sorted({s.min_group_size for s in closed}):
            same = [s.pk for s in closed if s.min_group_size == size]
            found.update(_scored(responses.filter(pl.col("survey_id").is_in(same)), size))
        cache.set(key, found, CACHE_SECONDS)
    return found


def _responses(survey_ids: Sequence[int]) -> pl.DataFrame:
    schema = {"survey_id": pl.Int64, "group": pl.Utf8, **dict.fromkeys(ITEM_COLUMNS, pl.Int64)}
    if not survey_ids:
        return pl.DataFrame(schema=schema)
    table = Response._meta.db_table
    marks = ", ".join(["%s"] * len(survey_ids))
    columns = ", ".join(ITEM_COLUMNS)
    sql = f'SELECT survey_id, "group", {columns} FROM {table} WHERE survey_id IN ({marks})'
    frame = read_frame(sql, list(survey_ids), schema)
    label = pl.when(pl.col("group").fill_null("") == "").then(pl.lit(NOT_STATED))
    return frame.with_columns(group=label.otherwise(pl.col("group")))


def _scored(responses: pl.DataFrame, size: int) -> dict[int, tuple]:
    """survey id → (overall Score or None, shown group Scores, groups answered)."""
    if responses.is_empty():
        return {}
    overall = engagement_scores(responses, by="survey_id", min_respondents=size).scores
    groups = engagement_scores(responses, by=["survey_id", "group"], min_respondents=size).scores
    answered = responses.filter(pl.any_horizontal(pl.col(list(ITEM_COLUMNS)).is_not_null()))
    counts = dict(answered.group_by("survey_id").agg(pl.col("group").n_unique()).rows())
    totals = {row["survey_id"]: row for row in overall.iter_rows(named=True)}
    shown: dict[int, list[Score]] = {}
    for row in groups.iter_rows(named=True):
        shown.setdefault(row["survey_id"], []).append(_score(row, row["group"]))
    return {
        survey_id: (
            _score(totals[survey_id], ALL_STAFF) if survey_id in totals else None,
            shown.get(survey_id, []),
            n_groups,
        )
        for survey_id, n_groups in counts.items()
    }


def _score(row: dict, label: str) -> Score:
    return Score(label, int(row["respondents"]), *(float(row[name]) for name in SCORE_FIELDS))


def _suppressed(survey: Survey, overall: Score | None, shown: list[Score], n_groups: int):
    if overall is None:
        return SurveyResult(survey, None, (), n_groups)
    shown = sorted(shown, key=lambda s: (s.respondents, s.label))
    hidden = n_groups - len(shown)
    if hidden:
        hidden_respondents = overall.respondents - sum(s.respondents for s in shown)
        while shown and (hidden < 2 or hidden_respondents < survey.min_group_size):
            smallest = shown.pop(0)
            hidden += 1
            hidden_respondents += smallest.respondents
    ordered = _in_survey_order(survey, shown)
    return SurveyResult(survey, overall, ordered, hidden)


def _in_survey_order(survey: Survey, scores: list[Score]) -> tuple[Score, ...]:
    position = {label: n for n, label in enumerate(survey.groups)}
    return tuple(sorted(scores, key=lambda s: (position.get(s.label, len(position)), s.label)))


# Tables for downloads, open data and the API --------------------------------------------

TABLE_SCHEMA = {
    "organisation_id": pl.Int64,
    "organisation": pl.Utf8,
    "year": pl.Int64,
    "survey_id": pl.Int64,
    "survey": pl.Utf8,
    "group": pl.Utf8,
    "respondents": pl.Int64,
    **dict.fromkeys(SCORE_FIELDS, pl.Float64),
    "groups_hidden": pl.Int64,
}


def results_table(results: Iterable[SurveyResult]) -> pl.DataFrame:
    """One row per shown score (the whole survey as "All staff", then each group shown)."""
    rows = []
    for result in results:
        if result.overall is None:
            continue
        survey = result.survey
        for score in (result.overall, *result.groups):
            rows.append({
                "organisation_id": survey.organisation_id,
                "organisation": survey.organisation.name,
                "year": survey.year,
                "survey_id": survey.pk,
                "survey": survey.title,
                "group": score.label,
                "respondents": score.respondents,
                **{name: round(getattr(score, name), 2) for name in SCORE_FIELDS},
                "groups_hidden": result.hidden_groups,
            })  # fmt: skip
    return pl.DataFrame(rows, schema=TABLE_SCHEMA)


def organisation_year_scores(results: Iterable[SurveyResult]) -> pl.DataFrame:
    """unit (organisation id), year and engagement, from each survey's whole-staff score."""
    rows = [
        (r.survey.organisation_id, r.survey.year, r.overall.engagement)
        for r in results
        if r.overall is not None
    ]
    return pl.DataFrame(
        rows, schema={"unit": pl.Int64, "year": pl.Int64, "engagement": pl.Float64}, orient="row"
    )
