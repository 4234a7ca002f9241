"""Importing the responses of a survey run elsewhere, from a CSV or XLSX file.

The file has one row per respondent and the nine item columns (``q_look_forward`` …
``q_standard_of_care``, see :data:`~mutuals.engine.engagement.ENGAGEMENT_ITEMS`), each
an answer 1–5 (or its words, "strongly agree" …) or empty; an optional ``group`` column
holds the respondent's group. Every cell is checked first and every problem named by
row and column; then all rows are stored in one transaction, or none. Any other column
refuses the file (a misspelt item would otherwise import as unanswered).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from mutuals.accounts import audit
from mutuals.engagement.errors import SurveyError
from mutuals.engagement.forms import SCALE
from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey, SurveyStatus
from mutuals.engagement.surveys import MAX_GROUP_LENGTH, locked_open
from mutuals.errors import ImportRejected, Problem
from mutuals.returns.cells import formula_problem, is_formula, quoted
from mutuals.returns.tables import ROW, column_problems, read_table, require_rows

GROUP = "group"
WORDS = {label.lower(): int(value) for value, label in SCALE}  # the answer page's words


@dataclass(frozen=True)
class ResponsesImported:
    rows: int
    imported: int


def import_responses(survey: Survey, path: Path | str, *, user=None) -> ResponsesImported:
    if survey.status != SurveyStatus.OPEN:
        raise SurveyError(
            f"Survey {survey.pk} is closed: responses can be added only while it is open."
        )
    table = read_table(path)
    column_issues = column_problems(table.columns, ITEM_COLUMNS, (GROUP,))
    if column_issues:
        raise ImportRejected(column_issues, table.height)
    require_rows(table)
    problems: list[Problem] = []
    responses: list[Response] = []
    for record in table.iter_rows(named=True):
        row = record[ROW]
        found, values, group = _row(survey, record, row)
        problems += found
        if not found:
            responses.append(Response(survey=survey, group=group, **values))
    if problems:
        raise ImportRejected(sorted(problems), table.height)
    with transaction.atomic():
        locked_open(survey, "responses can be added only while it is open")
        Response.objects.bulk_create(responses, batch_size=2000)
        audit.record(
            "survey-import",
            user=user,
            obj=survey,
            organisation=survey.organisation,
            changes={"responses": [None, len(responses)]},
        )
    return ResponsesImported(table.height, len(responses))


def _row(survey: Survey, record: dict, row: int) -> tuple[list[Problem], dict, str]:
    problems, values = [], {}
    for name in ITEM_COLUMNS:
        text = (record.get(name) or "").strip()
        try:
            values[name] = _answer(text)
        except ValueError as error:
            problems.append(Problem(row, name, str(error)))
    if not problems and all(value is None for value in values.values()):
        problems.append(Problem(row, "", "the row answers none of the nine statements"))
    group = (record.get(GROUP) or "").strip()
    if group:
        problem = _group_problem(survey, group)
        if problem:
            problems.append(Problem(row, GROUP, problem))
    return problems, values, group


def _answer(text: str) -> int | None:
    if not text:
        return None
    if is_formula(text):
        raise ValueError(formula_problem(text, "answer"))
    if text in {"1", "2", "3", "4", "5"}:
        return int(text)
    if text.lower() in WORDS:
        return WORDS[text.lower()]
    raise ValueError(
        f"{quoted(text)} is not an answer: use 1 to 5 (or 'strongly agree' …) or leave empty"
    )


def _group_problem(survey: Survey, group: str) -> str:
    if is_formula(group):
        return formula_problem(group, "group")
    if len(group) > MAX_GROUP_LENGTH:
        return f"a group name is at most {MAX_GROUP_LENGTH} characters"
    if survey.groups and group not in survey.groups:
        return f"{quoted(group)} is not one of this survey's groups: {', '.join(survey.groups)}"
    return ""
