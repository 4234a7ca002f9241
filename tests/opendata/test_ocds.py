"""OCDS export validates against the shipped schema and imports back field for field."""

from __future__ import annotations

import copy

import pytest

from mutuals.accounts.permissions import ANONYMOUS
from mutuals.contracts.models import Contract
from mutuals.contracts.ocds import (
    OCID_PREFIX,
    export_release_package,
    import_release_package,
    validate_release_package,
)
from mutuals.errors import ImportRejected
from mutuals.registry.models import Organisation


def snapshot() -> dict:
    """Every contract field OCDS carries (with the namespaced extension), per contract."""
    found = {}
    for contract in Contract.objects.order_by("reference"):
        baseline = getattr(contract, "baseline", None)
        found[contract.reference] = {
            **{
                name: getattr(contract, name)
                for name in (
                    "title",
                    "provider_id",
                    "start_date",
                    "end_date",
                    "annual_value",
                    "status",
                    "savings_requirement_pct",
                    "extra_benefits",
                    "social_value_weight_pct",
                    "continuity_plan",
                    "evaluation_plan",
                )
            },
            "commissioners": sorted(contract.commissioners.values_list("pk", flat=True)),
            "services": sorted(contract.services.values_list("name", flat=True)),
            "objectives": sorted(
                contract.objectives.values_list(
                    "description", "metric_id", "direction", "target", "deadline", "measurement"
                )
            ),
            "baseline": baseline
            and (
                baseline.annual_cost,
                baseline.annual_activity,
                baseline.activity_unit,
                baseline.quality_metric_id,
                baseline.quality_value,
                baseline.price_year,
            ),
        }
    return found


def test_export_validates_against_the_shipped_schema(contracts_world):
    package = export_release_package()
    assert validate_release_package(package) == []
    release = package["releases"][0]
    assert release["ocid"] == f"{OCID_PREFIX}RTR-0001"
    assert release["buyer"] == {"id": "GB-NHS-5QX", "name": "Brackenford PCT"}
    supplier = next(p for p in release["parties"] if p["roles"] == ["supplier"])
    assert supplier["identifier"]["scheme"] == "GB-NHS"
    assert supplier["additionalIdentifiers"][0] == {
        "scheme": "GB-COH",
        "id": "07123456",
        "legalName": "Brackenford Community Health CIC",
    }
    contract = release["contracts"][0]
    assert contract["value"] == {"amount": 62500000.5, "currency": "GBP"}  # five years
    visits = next(m for m in contract["agreedMetrics"] if m["title"].startswith("Raise"))
    assert visits["observations"][0]["measure"] == 95.0
    assert visits["observations"][0]["dimensions"] == {
        "direction": "increase",
        "metric": "visits-on-time",
    }
    actual = contract["implementation"]["metrics"][0]["observations"]
    assert [o["measure"] for o in actual] == [90.0, 93.25]
    assert release["tender"]["sustainability"][0]["description"].startswith("Apprentice")


def test_the_public_export_carries_no_returns(contracts_world):
    package = export_release_package(viewer=ANONYMOUS)
    assert validate_release_package(package) == []
    assert all("implementation" not in r["contracts"][0] for r in package["releases"])


def test_export_then_import_round_trips_every_field(contracts_world):
    before = snapshot()
    package = export_release_package()
    Contract.objects.all().delete()
    report = import_release_package(package)
    assert (report.releases, report.created, report.updated) == (2, 2, 0)
    assert report.organisations_created == 0
    assert snapshot() == before
    again = import_release_package(package)
    assert (again.created, again.updated) == (0, 2)
    assert snapshot() == before


def test_import_creates_organisations_missing_by_identifier(contracts_world):
    package = export_release_package(Contract.objects.filter(reference="RTR-0001"))
    release = package["releases"][0]
    supplier = next(p for p in release["parties"] if p["roles"] == ["supplier"])
    supplier.update(
        id="GB-COH-09999999",
        name="New Provider CIC",
        identifier={"scheme": "GB-COH", "id": "09999999"},
    )
    del supplier["additionalIdentifiers"]
    release["awards"][0]["suppliers"] = [{"id": "GB-COH-09999999", "name": "New Provider CIC"}]
    report = import_release_package(package)
    assert report.organisations_created == 1
    created = Organisation.objects.get(company_number="09999999")
    assert Contract.objects.get(reference="RTR-0001").provider == created
    assert created.kind == "provider" and created.region == "north_east"


def test_a_bad_package_names_json_paths_and_imports_nothing(contracts_world):
    good = export_release_package()
    Contract.objects.all().delete()
    bad = copy.deepcopy(good)
    bad["releases"][0]["awards"][0]["value"]["amount"] = "a lot"
    del bad["releases"][1]["date"]
    with pytest.raises(ImportRejected) as rejected:
        import_release_package(bad)
    messages = [str(problem) for problem in rejected.value.problems]
    assert "path releases[0].awards[0].value.amount: 'a lot' is not of type number or null" in (
        messages
    )
    assert "path releases[1].date: is required but missing" in messages
    assert Contract.objects.count() == 0


def test_problems_of_meaning_are_found_after_the_schema_passes(contracts_world):
    bad = export_release_package()
    Contract.objects.all().delete()
    target = bad["releases"][0]["contracts"][0]["agreedMetrics"][0]["observations"][0]
    target["dimensions"]["metric"] = "no-such-metric"
    bad["releases"][1]["contracts"][0]["period"]["endDate"] = "2001-01-01T00:00:00Z"
    with pytest.raises(ImportRejected) as rejected:
        import_release_package(bad)
    messages = [str(problem) for problem in rejected.value.problems]
    assert messages[0] == (
        "path releases[0].contracts[0].agreedMetrics[0].observations[0].dimensions.metric: "
        "'no-such-metric' is not a metric code in the catalogue"
    )
    assert messages[1].startswith("path releases[1].contracts[0].period.endDate: ")
    assert Contract.objects.count() == 0
