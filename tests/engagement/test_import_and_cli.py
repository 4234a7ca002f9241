"""Importing responses from a file (all or nothing, problems named by row and column) and
the `mutuals survey` command."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from mutuals.engagement.importing import import_responses
from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey, SurveyLink, SurveyStatus
from mutuals.engagement.surveys import create_survey
from mutuals.errors import ImportRejected

HEADER = ",".join([*ITEM_COLUMNS, "group"])


@pytest.fixture
def survey(world):
    return create_survey(
        world["health"], year=2012, title="", opens_on=dt.date(2012, 10, 1),
        closes_on=dt.date(2012, 11, 30), group_question="Rota?", group_choices=["Days", "Nights"],
    )  # fmt: skip


def write(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "responses.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_good_file_is_imported(tmp_path, survey):
    path = write(
        tmp_path, "1,2,3,4,5,4,3,2,1,Days", ",,,,,,,,Strongly agree,", "5,5,5,5,5,5,5,5,5,Nights"
    )
    report = import_responses(survey, path)
    assert (report.rows, report.imported) == (3, 3)
    assert Response.objects.filter(survey=survey, q_standard_of_care=5).count() == 2
    assert set(Response.objects.values_list("group", flat=True)) == {"Days", "", "Nights"}


def test_an_xlsx_file_is_imported(tmp_path, survey):
    from openpyxl import Workbook

    path = tmp_path / "responses.xlsx"
    book = Workbook()
    book.active.append(list(ITEM_COLUMNS))
    for answer in (3, 4):
        book.active.append([answer] * len(ITEM_COLUMNS))
    book.save(path)
    assert import_responses(survey, path).imported == 2


def test_every_problem_is_named_and_nothing_is_imported(tmp_path, survey):
    path = write(
        tmp_path,
        "1,2,3,4,5,4,3,2,1,Days",
        "6,2,3,4,5,4,3,2,1,Days",
        ",,,,,,,,,Days",
        "1,2,3,=A1,5,4,3,2,1,Weekends",
    )
    with pytest.raises(ImportRejected) as caught:
        import_responses(survey, path)
    problems = [str(p) for p in caught.value.problems]
    assert (
        "row 3, column q_look_forward: '6' is not an answer: use 1 to 5 (or 'strongly agree' …) or leave empty"
        in problems
    )
    assert "row 4: the row answers none of the nine statements" in problems
    assert any(p.startswith("row 5, column q_initiative") and "formula" in p for p in problems)
    assert any(p.startswith("row 5, column group") and "Weekends" in p for p in problems)
    assert not Response.objects.exists()


def test_a_missing_column_is_named(tmp_path, survey):
    path = write(tmp_path, "1,2", header="q_look_forward,group")
    with pytest.raises(ImportRejected) as caught:
        import_responses(survey, path)
    assert "column q_enthusiastic: this required column is missing" in [
        str(p) for p in caught.value.problems
    ]


def test_the_command_runs_a_survey_end_to_end(world, tmp_path, capsys):
    call_command(
        "survey", "create", "NQX01", "--year", "2013", "--opens", "2013-10-01",
        "--closes", "2013-11-30",
    )  # fmt: skip
    survey = Survey.objects.get(year=2013)
    out = tmp_path / "links.csv"
    call_command(
        "survey", "issue-links", str(survey.pk), "--count", "3", "--out", str(out),
        "--base-url", "https://mutuals.example/",
    )  # fmt: skip
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 and all(
        r["link"].startswith("https://mutuals.example/survey/") for r in rows
    )
    assert SurveyLink.objects.filter(survey=survey).count() == 3
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "survey", "issue-links", str(survey.pk), "--count", "1", "--out", str(out),
            "--base-url", "https://mutuals.example",
        )  # fmt: skip
    responses = write(tmp_path, *["4,4,4,4,4,4,4,4,4,"] * 12)
    call_command("survey", "import", str(survey.pk), str(responses))
    call_command("survey", "close", str(survey.pk), "--publish")
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED and survey.results_published
    capsys.readouterr()
    call_command("survey", "scores", "--organisation", "NQX01", "--year", "2013")
    table = capsys.readouterr().out
    assert "All staff" in table and ",12,7.5,7.5,7.5,7.5," in table


def test_command_errors_are_messages(world, tmp_path):
    with pytest.raises(CommandError, match="not a spin-out provider"):
        call_command(
            "survey", "create", "5QX", "--year", "2013", "--opens", "2013-10-01",
            "--closes", "2013-11-30",
        )  # fmt: skip
    with pytest.raises(CommandError, match="There is no survey 999"):
        call_command("survey", "close", "999")
    with pytest.raises(CommandError, match="must close on or after the day it opens"):
        call_command(
            "survey", "create", "NQX01", "--year", "2013", "--opens", "2013-10-01",
            "--closes", "2013-09-30",
        )  # fmt: skip
    call_command(
        "survey", "create", "NQX01", "--year", "2014", "--opens", "2014-10-01",
        "--closes", "2014-11-30",
    )  # fmt: skip
    bad = write(tmp_path, "9,,,,,,,,,")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("survey", "import", str(Survey.objects.get(year=2014).pk), str(bad))
