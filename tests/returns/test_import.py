"""The returns importer: all or nothing, every problem named, versions kept."""

from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command

from mutuals.errors import ImportRejected
from mutuals.returns.models import CurrentObservation, Observation, Submission
from mutuals.returns.services import export_returns, import_returns

HEADER = ["organisation", "metric", "period", "value"]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def quarters(count, first_year=2007):
    return [f"{first_year + index // 4}-Q{index % 4 + 1}" for index in range(count)]


@pytest.fixture
def centuries_of_quarters(settings):
    """Periods up to 2631, so that two providers' two metrics make 10,000 distinct rows."""
    settings.RETURNS_MAX_QUARTERS_AHEAD = 3000


def ten_thousand_rows():
    """5,000 quarters for each of two organisations: 10,000 distinct observations."""
    periods = quarters(2500)
    return [
        (organisation, metric, period, f"{(index % 97) / 10:.1f}")
        for organisation in ("NQX01", "RS007001")
        for metric in ("sickness-absence", "patient-experience")
        for index, period in enumerate(periods)
    ]


def test_one_bad_row_in_ten_thousand_rejects_the_file(
    catalogue, centuries_of_quarters, tmp_path, capsys
):
    rows = ten_thousand_rows()
    rows[7_000] = (rows[7_000][0], rows[7_000][1], rows[7_000][2], "twelve")
    path = write_csv(tmp_path / "returns.csv", rows)

    with pytest.raises(CommandError) as raised:
        call_command("import-returns", str(path))

    assert "Nothing was imported: 1 problem(s) in 1 of 10000 row(s)" in str(raised.value)
    assert "row 7002, column value: 'twelve' is not a number" in capsys.readouterr().err
    assert Observation.objects.count() == 0
    assert Submission.objects.count() == 0


def test_skip_invalid_imports_the_rest_and_writes_the_rejects(
    catalogue, centuries_of_quarters, tmp_path
):
    rows = ten_thousand_rows()
    rows[42] = ("XXXXX", *rows[42][1:])
    path = write_csv(tmp_path / "returns.csv", rows)

    call_command("import-returns", str(path), "--skip-invalid")

    assert Observation.objects.count() == 9_999
    with open(tmp_path / "returns.csv.rejects.csv") as handle:
        rejected = list(csv.DictReader(handle))
    assert rejected == [
        {
            "row": "44",
            "organisation": "XXXXX",
            "metric": rows[42][1],
            "period": rows[42][2],
            "value": rows[42][3],
            "reasons": "organisation: no organisation has the ODS code, Companies House "
            "number or charity number 'XXXXX'",
        }
    ]


def test_every_problem_is_listed_not_only_the_first(catalogue, tmp_path):
    rows = [
        ("NQX01", "sickness-absence", "2011-Q2", "1.5"),
        ("NQX01", "beds", "2011-Q3", "1.5"),
        ("NQX01", "sickness-absence", "2011-Q2", "-2"),
    ]
    with pytest.raises(ImportRejected) as raised:
        import_returns(write_csv(tmp_path / "r.csv", rows))
    assert [str(problem) for problem in raised.value.problems] == [
        "row 3, column metric: 'beds' is not a metric code in the catalogue",
        "row 4, column period: repeats row 2 (same organisation, metric and period)",
        "row 4, column value: -2 is negative, and this metric cannot be",
    ]


def test_resubmission_adds_a_version_and_keeps_the_first(catalogue, tmp_path):
    first = [
        ("NQX01", "sickness-absence", "2011-Q2", "4.0"),
        ("NQX01", "sickness-absence", "2011-Q3", "3.0"),
    ]
    import_returns(write_csv(tmp_path / "a.csv", first))
    report = import_returns(
        write_csv(tmp_path / "b.csv", [("07123456", "sickness-absence", "2011-Q2", "3.5")])
    )

    assert report.new_versions == 1
    history = Observation.objects.filter(period="2011-Q2").order_by("version")
    assert [(row.version, row.value, row.is_current) for row in history] == [
        (1, 4.0, False),
        (2, 3.5, True),
    ]
    assert sorted(CurrentObservation.objects.values_list("period", "value")) == [
        ("2011-Q2", 3.5),
        ("2011-Q3", 3.0),
    ]


def test_numerator_and_denominator_are_kept(catalogue, tmp_path):
    header = [*HEADER, "numerator", "denominator"]
    rows = [("NQX01", "patient-experience", "2011-06", "80", "40", "50")]
    import_returns(write_csv(tmp_path / "n.csv", rows, header))
    observation = Observation.objects.get()
    assert (observation.period_kind, observation.numerator, observation.denominator) == (
        "month",
        40.0,
        50.0,
    )


def test_export_round_trips_through_import(catalogue, tmp_path):
    rows = [
        ("NQX01", "sickness-absence", "2011-Q2", "4.25"),
        ("RS007001", "operating-margin", "2011/12", "-1.5"),
        ("RS007001", "patient-experience", "2011-Q2", "0.1"),
    ]
    import_returns(write_csv(tmp_path / "in.csv", rows))
    out = tmp_path / "out.csv"
    assert export_returns(out) == 3

    before = sorted(
        CurrentObservation.objects.values_list("organisation", "metric", "period", "value")
    )
    report = import_returns(out)
    after = sorted(
        CurrentObservation.objects.values_list("organisation", "metric", "period", "value")
    )
    assert report.imported == 3 and report.problems == []
    assert after == before


def test_xlsx_is_read_and_formulas_are_refused(catalogue, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["NQX01", "sickness-absence", "2011-Q2", 4.5])
    sheet.append(["NQX01", "sickness-absence", "2011-Q3", "=B2*2"])
    path = tmp_path / "returns.xlsx"
    book.save(path)

    with pytest.raises(ImportRejected) as raised:
        import_returns(path)
    assert [str(p) for p in raised.value.problems] == [
        "row 3, column value: '=B2*2' looks like a spreadsheet formula: enter the value itself"
    ]


def test_unreadable_files_get_a_message(db, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="empty.csv is empty"):
        call_command("import-returns", str(empty))
    notes = tmp_path / "notes.txt"
    notes.write_text("organisation,metric\n")
    with pytest.raises(CommandError, match="use a .csv or .xlsx file"):
        call_command("import-returns", str(notes))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import-returns", str(tmp_path / "missing.csv"))
