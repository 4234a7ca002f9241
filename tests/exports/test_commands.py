"""The files the commands write for people: survey scores and links, the register, returns
and the rejects of an import. Formula text is quoted, numbers are not, and the files the
product imports again (the register, returns) come back exactly as they left."""

from __future__ import annotations

import csv
import datetime as dt

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from engagement.conftest import closed_survey
from exports.conftest import (
    AT,
    LINK,
    RETURN,
    SUBTRACTION,
    SUM,
    TAB,
    assert_neutralised,
    column,
    csv_rows,
    register,  # noqa: F401
    register_state,
)
from mutuals.accounts.models import AuditEvent
from mutuals.engagement.models import Survey
from mutuals.returns.models import CurrentObservation, Metric, Observation, PeriodKind, Submission


def read(path) -> str:
    with open(path, newline="", encoding="utf-8") as handle:
        return handle.read()


# --- surveys ---------------------------------------------------------------------------------


@pytest.fixture
def scored(world):
    return closed_survey(world["health"], {AT: (12, 4), SUBTRACTION: (12, 3)})


def test_survey_scores_csv_quotes_groups_and_keeps_scores(scored, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    call_command("survey", "scores", "--out", str(out))
    capsys.readouterr()
    call_command("survey", "scores")
    for text in (read(out), capsys.readouterr().out):
        rows = csv_rows(text)
        assert_neutralised(column(rows, "group"), AT)
        assert_neutralised(column(rows, "group"), SUBTRACTION)
        [group] = [row for row in rows if row["group"] == "'" + AT]
        assert (group["respondents"], group["engagement"], group["groups_hidden"]) == (
            "12",
            "7.5",
            "0",
        )


def test_survey_scores_parquet_keeps_the_text(scored, tmp_path):
    out = tmp_path / "scores.parquet"
    call_command("survey", "scores", "--out", str(out))
    assert {AT, SUBTRACTION} <= set(pl.read_parquet(out)["group"].to_list())


def test_survey_links_csv_quotes_people_from_the_register(register, tmp_path):  # noqa: F811
    call_command(
        "survey", "create", str(register.pk), "--year", "2024", "--opens", "2024-10-01",
        "--closes", "2099-11-30",
    )  # fmt: skip
    out = tmp_path / "links.csv"
    call_command(
        "survey", "issue-links", str(Survey.objects.get().pk), "--register-on", "2024-10-01",
        "--out", str(out), "--base-url", "https://mutuals.example",
    )  # fmt: skip
    rows = csv_rows(read(out))
    assert_neutralised(column(rows, "reference"), AT)
    for name in (LINK, TAB, RETURN):
        assert_neutralised(column(rows, "name"), name)
    assert all(link.startswith("https://mutuals.example/survey/") for link in column(rows, "link"))


# --- the register ----------------------------------------------------------------------------


def export(organisation, folder) -> dict[str, str]:
    call_command("register", "export", "--organisation", str(organisation.pk), "--out", folder)
    return {table: read(folder / f"{table}.csv") for table in ("people", "holdings", "board")}


def test_register_export_quotes_formula_text(register, tmp_path):  # noqa: F811
    files = export(register, tmp_path)
    people = csv_rows(files["people"])
    assert_neutralised(column(people, "reference"), AT)
    for name in (LINK, TAB, RETURN):
        assert_neutralised(column(people, "name"), name)
    assert_neutralised(column(csv_rows(files["holdings"]), "share_class"), SUM)
    assert_neutralised(column(csv_rows(files["board"]), "holder_name"), SUBTRACTION)


def test_register_export_imports_as_itself(register, tmp_path):  # noqa: F811
    first = export(register, tmp_path / "first")
    before, events = register_state(register), AuditEvent.objects.count()
    folder = tmp_path / "first"
    call_command(
        "register", "import", "--organisation", str(register.pk),
        "--people", str(folder / "people.csv"), "--holdings", str(folder / "holdings.csv"),
        "--board", str(folder / "board.csv"),
    )  # fmt: skip
    assert register_state(register) == before
    assert before["people"][0][:2] == (AT, LINK)  # exactly as stored: no quote kept
    assert AuditEvent.objects.count() == events  # nothing changed, so nothing was audited
    assert export(register, tmp_path / "second") == first  # no quotes pile up


def test_the_register_importer_still_refuses_formula_text_as_typed(register, tmp_path):  # noqa: F811
    """Only the quote is taken off: ``=...`` typed bare is refused as before, while the
    same text quoted, as a spreadsheet writes text, is the text itself."""
    people = tmp_path / "people.csv"
    cell = LINK.replace('"', '""')  # as CSV writes a double quote inside a cell
    people.write_text(f'reference,name,role_group\nP9,"{cell}",frontline\n')
    with pytest.raises(CommandError, match="people table has 1 problem"):
        call_command("register", "import", "--organisation", str(register.pk),
                     "--people", str(people))  # fmt: skip
    people.write_text(f'reference,name,role_group\nP9,"\'{cell}",frontline\n')
    call_command("register", "import", "--organisation", str(register.pk), "--people", str(people))
    assert register.register.get(reference="P9").name == LINK


# --- returns ---------------------------------------------------------------------------------


@pytest.fixture
def margins(world):
    """A metric whose code (a valid slug) begins with a minus, with negative values."""
    margin = Metric.objects.create(
        code="-margin", name="Operating margin", unit="%", direction="higher",
        domain="finance", allows_negative=True,
    )  # fmt: skip
    submission = Submission.objects.create(source=Submission.Source.DEMO, row_count=2)
    for period, start, value in (("2011-Q2", dt.date(2011, 4, 1), -3.5),
                                 ("2011-Q3", dt.date(2011, 7, 1), 1.25)):  # fmt: skip
        Observation.objects.create(
            organisation=world["health"], metric=margin, period=period, period_start=start,
            period_kind=PeriodKind.QUARTER, value=value, submission=submission,
        )  # fmt: skip
    return margin


def current() -> list[tuple]:
    return sorted(
        CurrentObservation.objects.values_list("organisation", "metric", "period", "value")
    )


def test_returns_export_quotes_the_metric_and_keeps_the_numbers(margins, tmp_path):
    out = tmp_path / "returns.csv"
    call_command("export-returns", "--out", str(out))
    rows = [row for row in csv_rows(read(out)) if row["metric"] == "'-margin"]
    assert [(row["organisation"], row["period"], row["value"]) for row in rows] == [
        ("NQX01", "2011-Q2", "-3.5"),
        ("NQX01", "2011-Q3", "1.25"),
    ]
    assert "-margin" not in column(csv_rows(read(out)), "metric")


def test_returns_export_imports_as_itself(margins, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    call_command("export-returns", "--out", str(first))
    before = current()
    call_command("import-returns", str(first))
    assert current() == before
    assert CurrentObservation.objects.filter(metric=margins, version=2).count() == 2
    call_command("export-returns", "--out", str(second))
    assert read(second) == read(first)


REJECTED = [
    ("NQX01", "sickness-absence", "2012-Q1", "4.25"),  # the one good row
    (LINK, "sickness-absence", "2012-Q1", "4"),
    ("NQX01", SUM, "2012-Q2", "-3.5"),
    ("NQX01", AT, "2012-Q3", "1"),
    ("\t=1+1", "sickness-absence", "2012-Q4", "1"),
    ("NQX01", "\r@x", "2013-Q1", "1"),
    ("NQX01", "sickness-absence", "2013-Q2", SUBTRACTION),
]


def test_returns_rejects_quote_what_was_uploaded_and_keep_numbers(world, tmp_path):
    upload = tmp_path / "returns.csv"
    with open(upload, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("organisation", "metric", "period", "value"), *REJECTED])
    call_command("import-returns", str(upload), "--skip-invalid")
    rows = csv_rows(read(tmp_path / "returns.csv.rejects.csv"))
    assert column(rows, "row") == ["3", "4", "5", "6", "7", "8"]
    assert_neutralised(column(rows, "organisation"), LINK)
    assert_neutralised(column(rows, "organisation"), "\t=1+1")
    for metric in (SUM, AT, "\r@x"):
        assert_neutralised(column(rows, "metric"), metric)
    assert_neutralised(column(rows, "value"), SUBTRACTION)
    assert "-3.5" in column(rows, "value")  # a number as written is not formula text


def test_organisation_rejects_quote_what_was_uploaded(world, tmp_path):
    upload = tmp_path / "organisations.csv"
    with open(upload, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [("name", "kind", "legal_form", "region", "ods_code"),
             (LINK, "provider", "cooperative", "north_east", "RX9")]
        )  # fmt: skip
    call_command("import-organisations", str(upload), "--skip-invalid")
    rows = csv_rows(read(tmp_path / "organisations.csv.rejects.csv"))
    assert_neutralised(column(rows, "name"), LINK)
