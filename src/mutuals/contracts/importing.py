"""``mutuals import-contracts``: contracts (and optionally their objectives) from CSV.

A row whose reference is already registered updates that contract. Objectives
come from a second file keyed by contract reference; importing them replaces
the contract's objectives as a whole.
"""

from __future__ import annotations

from pathlib import Path

from mutuals.contracts import relationships
from mutuals.contracts.models import (
    Baseline,
    Contract,
    ContractStatus,
    Objective,
    ObjectiveDirection,
)
from mutuals.registry.importing import find_by_identifier
from mutuals.registry.models import Service
from mutuals.returns.cells import quoted
from mutuals.returns.models import Metric
from mutuals.tabular import (
    CellError,
    TableReport,
    choice,
    import_table,
    optional_date,
    optional_decimal,
    optional_float,
    optional_int,
    split,
    text,
)

REQUIRED = (
    "reference",
    "title",
    "provider",
    "commissioners",
    "start_date",
    "end_date",
    "annual_value",
    "status",
)
BASELINE = (
    "baseline_annual_cost",
    "baseline_annual_activity",
    "baseline_activity_unit",
    "baseline_price_year",
)
OPTIONAL = (
    "savings_requirement_pct",
    "social_value_weight_pct",
    "extra_benefits",
    "continuity_plan",
    "evaluation_plan",
    "services",
    *BASELINE,
)
OBJECTIVE_COLUMNS = ("reference", "description", "direction")
OBJECTIVE_OPTIONAL = ("metric", "target", "deadline", "measurement")


def import_contracts(path: Path | str, *, skip_invalid: bool = False) -> TableReport:
    seen: dict[str, int] = {}
    return import_table(
        path,
        required=REQUIRED,
        optional=OPTIONAL,
        prepare=lambda c, r: _prepare(c, r, seen),
        skip_invalid=skip_invalid,
    )


def import_objectives(path: Path | str, *, skip_invalid: bool = False) -> TableReport:
    cleared: set[int] = set()
    return import_table(
        path,
        required=OBJECTIVE_COLUMNS,
        optional=OBJECTIVE_OPTIONAL,
        prepare=lambda c, r: _prepare_objective(c, cleared),
        skip_invalid=skip_invalid,
    )


def _organisation(identifier: str, column: str):
    organisation = find_by_identifier(identifier)
    if organisation is None:
        raise CellError(
            column,
            f"no organisation has the ODS code, Companies House number or charity number {quoted(identifier)}",
        )
    return organisation


def _prepare(cells: dict[str, str], row: int, seen: dict[str, int]):
    reference = text(cells, "reference", required=True)
    if reference in seen:
        raise CellError("reference", f"{quoted(reference)} repeats row {seen[reference]}")
    seen[reference] = row
    contract = Contract.objects.filter(reference=reference).first()
    created = contract is None
    contract = contract or Contract(reference=reference)
    contract.title = text(cells, "title", required=True)
    contract.provider = _organisation(text(cells, "provider", required=True), "provider")
    commissioners = [_organisation(code, "commissioners") for code in split(cells, "commissioners")]
    if not commissioners:
        raise CellError("commissioners", "name at least one commissioner, separated by ';'")
    contract.start_date = optional_date(cells, "start_date", required=True)
    contract.end_date = optional_date(cells, "end_date", required=True)
    contract.annual_value = optional_decimal(cells, "annual_value", required=True)
    contract.status = choice(cells, "status", ContractStatus)
    contract.savings_requirement_pct = optional_decimal(cells, "savings_requirement_pct")
    contract.social_value_weight_pct = optional_decimal(cells, "social_value_weight_pct")
    contract.extra_benefits = text(cells, "extra_benefits")
    contract.continuity_plan = text(cells, "continuity_plan")
    contract.evaluation_plan = text(cells, "evaluation_plan")
    contract.full_clean()
    baseline = _baseline(cells)

    def save() -> bool:
        contract.save()
        contract.commissioners.set(commissioners)
        relationships.request_missing(contract, via="import-contracts")
        contract.services.set(
            [Service.objects.get_or_create(name=name)[0] for name in split(cells, "services")]
        )
        if baseline is not None:
            Baseline.objects.update_or_create(contract=contract, defaults=baseline)
        return created

    return save


def _baseline(cells: dict[str, str]) -> dict | None:
    given = [column for column in BASELINE if text(cells, column)]
    if not given:
        return None
    for column in BASELINE:
        text(cells, column, required=True)
    values = {
        "annual_cost": optional_decimal(cells, "baseline_annual_cost"),
        "annual_activity": optional_decimal(cells, "baseline_annual_activity"),
        "activity_unit": text(cells, "baseline_activity_unit"),
        "price_year": optional_int(cells, "baseline_price_year"),
    }
    if values["annual_activity"] <= 0:
        raise CellError("baseline_annual_activity", "the in-house activity must be above zero")
    return values


def _prepare_objective(cells: dict[str, str], cleared: set[int]):
    reference = text(cells, "reference", required=True)
    contract = Contract.objects.filter(reference=reference).first()
    if contract is None:
        raise CellError("reference", f"no contract has the reference {quoted(reference)}")
    metric = None
    if code := text(cells, "metric"):
        metric = Metric.objects.filter(code=code).first()
        if metric is None:
            raise CellError("metric", f"{quoted(code)} is not a metric code in the catalogue")
    objective = Objective(
        contract=contract,
        description=text(cells, "description", required=True),
        metric=metric,
        direction=choice(cells, "direction", ObjectiveDirection),
        target=optional_float(cells, "target"),
        deadline=optional_date(cells, "deadline"),
        measurement=text(cells, "measurement"),
    )
    objective.full_clean()

    def save() -> bool:
        if contract.pk not in cleared:
            contract.objectives.all().delete()
            cleared.add(contract.pk)
        objective.save()
        return True

    return save
