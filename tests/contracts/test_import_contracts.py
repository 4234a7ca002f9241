import csv
from decimal import Decimal

import pytest

from mutuals.contracts.importing import import_contracts, import_objectives
from mutuals.contracts.models import Contract
from mutuals.errors import ImportRejected
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric

HEADER = [
    "reference",
    "title",
    "provider",
    "commissioners",
    "start_date",
    "end_date",
    "annual_value",
    "status",
    "savings_requirement_pct",
    "baseline_annual_cost",
    "baseline_annual_activity",
    "baseline_activity_unit",
    "baseline_price_year",
]
ROW = [
    "RTR-001",
    "Community nursing",
    "NQX01",
    "5QX;00T",
    "2011-04-01",
    "2014-03-31",
    "12,500,000.50",
    "active",
    "2.5",
    "12000000",
    "150000",
    "contacts",
    "2010",
]


def write(path, header, *rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def parties(db):
    for name, kind, code in (
        ("Fenmoor PCT", "commissioner", "5QX"),
        ("Fenmoor Council", "commissioner", "00T"),
        ("Fenmoor Health CIC", "provider", "NQX01"),
    ):
        Organisation.objects.create(
            name=name, kind=kind, legal_form="company", ods_code=code, region="east"
        )
    Metric.objects.create(
        code="waiting-weeks", name="Waiting", unit="weeks", direction="lower", domain="quality"
    )


def test_contract_with_two_commissioners_baseline_and_objectives(parties, tmp_path):
    import_contracts(write(tmp_path / "c.csv", HEADER, ROW))
    objectives = write(
        tmp_path / "o.csv",
        ["reference", "description", "metric", "direction", "target", "deadline"],
        ["RTR-001", "Cut waits to 6 weeks", "waiting-weeks", "decrease", "6", "2013-03-31"],
        ["RTR-001", "Be a good employer", "", "maintain", "", ""],
    )
    import_objectives(objectives)

    contract = Contract.objects.get()
    assert contract.annual_value == Decimal("12500000.50")
    assert sorted(contract.commissioners.values_list("ods_code", flat=True)) == ["00T", "5QX"]
    assert contract.baseline.unit_cost == Decimal("80")
    measurable = {o.description: o.is_measurable for o in contract.objectives.all()}
    assert measurable == {"Cut waits to 6 weeks": True, "Be a good employer": False}


def test_problems_are_named_and_nothing_saved(parties, tmp_path):
    bad = [
        "RTR-002",
        "Podiatry",
        "NOPE1",
        "5QX",
        "2011-04-01",
        "2010-03-31",
        "lots",
        "active",
        "",
        "",
        "",
        "",
        "",
    ]
    with pytest.raises(ImportRejected) as raised:
        import_contracts(write(tmp_path / "c.csv", HEADER, ROW, bad))
    assert [str(p) for p in raised.value.problems] == [
        "row 3, column provider: no organisation has the ODS code, Companies House number or charity number 'NOPE1'"
    ]
    assert Contract.objects.count() == 0


def test_end_before_start_is_refused_by_the_model(parties, tmp_path):
    bad = [*ROW[:5], "2010-03-31", *ROW[6:]]
    with pytest.raises(ImportRejected) as raised:
        import_contracts(write(tmp_path / "c.csv", HEADER, bad))
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].row == 2
