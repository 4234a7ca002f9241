"""Contracts with their baseline and objectives: public records, as on Contracts Finder."""

from __future__ import annotations

from typing import Literal

from django.db.models import Prefetch
from ninja import Path, Query, Router

from mutuals.accounts.permissions import visible
from mutuals.api import schemas
from mutuals.api.auth import PUBLIC_READ, caller
from mutuals.api.errors import not_found
from mutuals.api.listing import (
    OrganisationFilter,
    PageParams,
    ProgrammeFilter,
    by_organisation,
    page,
)
from mutuals.api.routers.register import MAX_ID, organisation_ref
from mutuals.api.schemas import responses
from mutuals.contracts.models import Baseline, Contract
from mutuals.registry.models import Organisation

router = Router(tags=["Contracts"], auth=PUBLIC_READ)

Status = Literal["draft", "active", "ended", "terminated"]


def _contracts(request):
    viewer = caller(request).viewer
    objectives = visible(viewer, "objective").select_related("metric").order_by("pk")
    return (
        visible(viewer, "contract")
        .select_related("provider", "baseline", "baseline__quality_metric")
        .prefetch_related(
            Prefetch("commissioners", queryset=Organisation.objects.order_by("pk")),
            "services",
            Prefetch("objectives", queryset=objectives),
        )
        .order_by("pk")
    )


def _text(number) -> str | None:
    return None if number is None else str(number)


def _baseline(contract: Contract) -> dict | None:
    try:
        baseline = contract.baseline
    except Baseline.DoesNotExist:
        return None
    return {
        "annual_cost": str(baseline.annual_cost),
        "annual_activity": str(baseline.annual_activity),
        "activity_unit": baseline.activity_unit,
        "quality_metric": baseline.quality_metric.code if baseline.quality_metric else None,
        "quality_value": baseline.quality_value,
        "price_year": baseline.price_year,
    }


def contract_json(contract: Contract) -> dict:
    return {
        "id": contract.pk,
        "reference": contract.reference,
        "title": contract.title,
        "status": contract.status,
        "provider": organisation_ref(contract.provider),
        "commissioners": [organisation_ref(o) for o in contract.commissioners.all()],
        "services": sorted(service.name for service in contract.services.all()),
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "annual_value": str(contract.annual_value),
        "savings_requirement_pct": _text(contract.savings_requirement_pct),
        "social_value_weight_pct": _text(contract.social_value_weight_pct),
        "extra_benefits": contract.extra_benefits,
        "continuity_plan": contract.continuity_plan,
        "evaluation_plan": contract.evaluation_plan,
        "baseline": _baseline(contract),
        "objectives": [
            {
                "id": objective.pk,
                "description": objective.description,
                "metric": objective.metric.code if objective.metric else None,
                "direction": objective.direction,
                "target": objective.target,
                "deadline": objective.deadline,
                "measurement": objective.measurement,
                "is_measurable": objective.is_measurable,
            }
            for objective in contract.objectives.all()
        ],
    }


@router.get("/contracts", response=responses({200: schemas.ContractPage}), summary="List contracts")
def list_contracts(
    request,
    paging: Query[PageParams],
    where: Query[OrganisationFilter],
    programme: Query[ProgrammeFilter],
    status: Status | None = None,
):
    """Contracts by id; ``organisation`` matches the provider or a commissioner."""
    contracts = by_organisation(
        _contracts(request), where.organisation, "provider", "commissioners"
    )
    if programme.programme:
        contracts = contracts.filter(
            provider__programmemembership__programme__code=programme.programme
        )
    if status:
        contracts = contracts.filter(status=status)
    return page(request, contracts, paging, contract_json)


@router.get(
    "/contracts/{id}",
    response=responses({200: schemas.Contract}),
    summary="Read a contract with its objectives",
)
def get_contract(request, id: int = Path(..., ge=1, le=MAX_ID)):
    contract = _contracts(request).filter(pk=id).first()
    if contract is None:
        raise not_found(f"contract {id}")
    return contract_json(contract)
