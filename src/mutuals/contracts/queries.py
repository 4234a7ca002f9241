"""Read-side queries for the contract pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from mutuals.accounts.permissions import ANONYMOUS, Viewer, visible
from mutuals.contracts.models import Baseline, Contract, ContractStatus, Objective
from mutuals.registry.models import Organisation


def status_choices() -> list[tuple[str, str]]:
    return list(ContractStatus.choices)


def search_contracts(
    statuses: list[str] | None = None, programme: str = "", *, viewer: Viewer = ANONYMOUS
) -> QuerySet[Contract]:
    """Contracts the viewer may see, in a stable order, with provider and commissioners
    fetched in bulk."""
    contracts = (
        visible(viewer, "contract")
        .select_related("provider")
        .prefetch_related(Prefetch("commissioners", queryset=Organisation.objects.only("name")))
    )
    if statuses:
        contracts = contracts.filter(status__in=statuses)
    if programme:
        contracts = contracts.filter(provider__programmemembership__programme__code=programme)
    return contracts.order_by("reference", "pk")


@dataclass(frozen=True)
class ContractPage:
    contract: Contract
    commissioners: list[Organisation]
    services: list[str]
    objectives: list[Objective]
    baseline: Baseline | None


def contract_page(pk: int, *, viewer: Viewer = ANONYMOUS) -> ContractPage:
    """One contract with everything its page shows; 404 when there is none or the viewer
    may not see it."""
    contract = get_object_or_404(
        visible(viewer, "contract").select_related(
            "provider", "baseline", "baseline__quality_metric"
        ),
        pk=pk,
    )
    try:
        baseline = contract.baseline
    except Baseline.DoesNotExist:
        baseline = None
    return ContractPage(
        contract=contract,
        commissioners=list(contract.commissioners.order_by("name")),
        services=list(contract.services.values_list("name", flat=True)),
        objectives=list(contract.objectives.select_related("metric")),
        baseline=baseline,
    )
