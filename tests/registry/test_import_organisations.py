import csv

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from mutuals.errors import ImportRejected
from mutuals.registry.identifiers import (
    validate_charity_number,
    validate_company_number,
    validate_ods_code,
)
from mutuals.registry.importing import import_organisations
from mutuals.registry.models import Organisation, Programme

HEADER = [
    "name",
    "kind",
    "legal_form",
    "region",
    "ods_code",
    "company_number",
    "parent",
    "spinout_date",
    "staff_count",
    "services",
    "programmes",
]
PCT = [
    "Fenmoor Primary Care Trust",
    "commissioner",
    "nhs_commissioner",
    "east",
    "5QX",
    "",
    "",
    "",
    "",
    "",
    "",
]
SPIN_OUT = [
    "Fenmoor Community Health CIC",
    "provider",
    "cic_guarantee",
    "east",
    "NQX01",
    "07123456",
    "5QX",
    "2011-04-01",
    "420",
    "District nursing; Podiatry",
    "right-to-request",
]


def write(path, *rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def programme(db):
    return Programme.objects.create(
        code="right-to-request", name="Right to Request", kind="right_to_request"
    )


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (validate_ods_code, ["RX1", "5QX", "NQX01"], ["rx1", "AB", "TOOLONG", "R-1"]),
        (
            validate_company_number,
            ["07123456", "RS007001", "SC123456"],
            ["7123456", "RS7001", "A1234567"],
        ),
        (
            validate_charity_number,
            ["1012345", "202918", "1012345-1", "SC012345"],
            ["12345", "CH1234"],
        ),
    ],
)
def test_identifier_formats(validator, good, bad):
    for value in good:
        validator(value)
    for value in bad:
        with pytest.raises(ValidationError):
            validator(value)


def test_parent_on_an_earlier_row_and_programmes_and_services(programme, tmp_path):
    report = import_organisations(write(tmp_path / "o.csv", PCT, SPIN_OUT))
    assert (report.created, report.updated) == (2, 0)
    spin_out = Organisation.objects.get(ods_code="NQX01")
    assert spin_out.parent.name == "Fenmoor Primary Care Trust"
    assert sorted(spin_out.services.values_list("name", flat=True)) == [
        "District nursing",
        "Podiatry",
    ]
    assert list(spin_out.programmes.values_list("code", flat=True)) == ["right-to-request"]


def test_a_registered_identifier_is_updated_not_duplicated(programme, tmp_path):
    import_organisations(write(tmp_path / "o.csv", PCT, SPIN_OUT))
    renamed = ["Fenmoor Health Co-op", *SPIN_OUT[1:]]
    report = import_organisations(write(tmp_path / "p.csv", renamed))
    assert (report.created, report.updated) == (0, 1)
    assert Organisation.objects.get(ods_code="NQX01").name == "Fenmoor Health Co-op"


def test_bad_rows_are_named_and_nothing_is_saved(programme, tmp_path, capsys):
    bad = ["Oddly CIC", "provider", "plc", "mars", "nqx", "", "ZZZ99", "1 April", "many", "", "x"]
    path = write(tmp_path / "o.csv", PCT, bad, SPIN_OUT[:4] + ["5QX"] + SPIN_OUT[5:])
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-organisations", str(path))
    errors = capsys.readouterr().err.splitlines()
    assert errors[0].startswith("row 3, column legal_form: 'plc' is not one of:")
    assert errors[1] == "row 4, column ods_code: '5QX' repeats row 2"
    assert Organisation.objects.count() == 0


def test_model_validators_apply_to_files(programme, tmp_path):
    bad = ["Oddly CIC", "provider", "cic_shares", "london", "nqx", "", "", "", "", "", ""]
    with pytest.raises(ImportRejected) as raised:
        import_organisations(write(tmp_path / "o.csv", bad))
    assert [str(p) for p in raised.value.problems] == [
        "row 2, column ods_code: 'nqx' is not an NHS ODS code: use 3 to 5 capital letters or "
        "digits, like RX1"
    ]


def test_skip_invalid_keeps_the_good_rows(programme, tmp_path):
    bad = [
        "Oddly CIC",
        "provider",
        "cic_shares",
        "london",
        "",
        "07000009",
        "",
        "2011-13-01",
        "",
        "",
        "",
    ]
    report = import_organisations(write(tmp_path / "o.csv", PCT, bad), skip_invalid=True)
    assert report.created == 1
    assert [str(p) for p in report.problems] == [
        "row 3, column spinout_date: '2011-13-01' is not a date: use YYYY-MM-DD, like 2011-04-01"
    ]
    assert report.rejects_path.read_text().count("\n") == 2
