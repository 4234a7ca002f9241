"""Creating and changing a contract with its commissioners, baseline and objectives.

One atomic change per save, checked against the permission matrix, and audited with a diff
of every field that changed ({field: [old, new]})."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from mutuals.accounts import audit
from mutuals.accounts.permissions import Viewer, allowed_in, can
from mutuals.contracts import relationships
from mutuals.contracts.models import Baseline, Contract, Objective

TERMS = ("reference", "title", "start_date", "end_date", "annual_value", "status")
VALUE = ("savings_requirement_pct", "extra_benefits", "continuity_plan", "evaluation_plan")
BASELINE = ("annual_cost", "annual_activity", "activity_unit", "price_year")
OBJECTIVE = ("description", "metric", "direction", "target", "deadline")


class ReferenceTaken(Exception):
    """Another contract already has this reference."""


@dataclass
class ContractDraft:
    """Everything the journey's pages collect, as cleaned values."""

    terms: dict[str, Any]
    commissioners: list[int]
    value: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] | None = None
    objectives: list[dict[str, Any]] = field(default_factory=list)


def draft_from(contract: Contract) -> ContractDraft:
    baseline = Baseline.objects.filter(contract=contract).first()
    return ContractDraft(
        terms={
            **{name: getattr(contract, name) for name in TERMS},
            "provider": contract.provider_id,
        },
        commissioners=sorted(contract.commissioners.values_list("pk", flat=True)),
        value={name: getattr(contract, name) for name in VALUE},
        baseline={name: getattr(baseline, name) for name in BASELINE} if baseline else None,
        objectives=[
            {**{name: getattr(o, name) for name in OBJECTIVE}, "metric": o.metric_id}
            for o in contract.objectives.all()
        ],
    )


def snapshot(contract: Contract) -> dict[str, Any]:
    draft = draft_from(contract)
    flat = {**draft.terms, **draft.value, "commissioners": draft.commissioners}
    for name in BASELINE:
        flat[f"baseline.{name}"] = draft.baseline.get(name) if draft.baseline else None
    flat["objectives"] = [_describe(o) for o in draft.objectives]
    return {k: _plain(v) for k, v in flat.items()}


def _describe(objective: dict[str, Any]) -> str:
    parts = [objective["description"], objective["direction"]]
    if objective.get("target") is not None:
        parts.append(f"target {objective['target']:g}")
    if objective.get("deadline"):
        parts.append(f"by {objective['deadline']}")
    return ", ".join(str(p) for p in parts)


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check(viewer: Viewer, contract: Contract | None, draft: ContractDraft, before: list[int]):
    if contract is not None and not can(viewer, "change", contract):
        raise PermissionDenied("You cannot change this contract")
    added = set(draft.commissioners) - set(before)
    if contract is None and not draft.commissioners:
        raise PermissionDenied("A contract needs a commissioner")
    if not all(allowed_in(viewer, "create", "contract", pk) for pk in added):
        raise PermissionDenied("You can only add your own organisations as commissioners")


@transaction.atomic
def save_contract(viewer: Viewer, user, draft: ContractDraft, contract: Contract | None = None):
    """Create (``contract`` None) or change a contract from a draft; one audited change."""
    before_commissioners = (
        sorted(contract.commissioners.values_list("pk", flat=True)) if contract else []
    )
    _check(viewer, contract, draft, before_commissioners)
    before = snapshot(contract) if contract else {}
    if (
        Contract.objects.filter(reference=draft.terms["reference"])
        .exclude(pk=contract.pk if contract else None)
        .exists()
    ):
        raise ReferenceTaken(draft.terms["reference"])
    contract = contract or Contract()
    for name in TERMS:
        setattr(contract, name, draft.terms[name])
    contract.provider_id = draft.terms["provider"]
    contract.savings_requirement_pct = draft.value.get("savings_requirement_pct")
    for name in VALUE[1:]:
        setattr(contract, name, draft.value.get(name) or "")
    contract.full_clean(exclude=["commissioners", "services"])
    contract.save()
    contract.commissioners.set(draft.commissioners)
    # A provider named for the first time is asked to confirm: until it does, naming it
    # opens none of its unpublished data to the commissioner.
    relationships.request_missing(contract, user=user)
    _save_baseline(contract, draft.baseline)
    contract.objectives.all().delete()
    Objective.objects.bulk_create(
        Objective(
            contract=contract,
            metric_id=o["metric"],
            **{name: o[name] for name in OBJECTIVE if name != "metric"},
        )
        for o in draft.objectives
    )
    after = snapshot(contract)
    audit.record(
        "contract.create" if not before else "contract.change",
        user=user,
        obj=contract,
        organisation=contract.provider,
        changes=audit.diff(before, after),
    )
    return contract


def _save_baseline(contract: Contract, values: dict[str, Any] | None) -> None:
    if not values:
        Baseline.objects.filter(contract=contract).delete()
        return
    Baseline.objects.update_or_create(contract=contract, defaults=values)
