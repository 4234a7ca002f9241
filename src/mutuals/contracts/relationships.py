"""Asking a provider to confirm a commissioner, and its managers' answer.

Recording a contract is open to any commissioner (and to imports and the back office), and a
contract names its provider freely. So a contract that links a commissioner to a provider
for the first time only *asks*: :func:`request_missing` records a pending
:class:`~mutuals.contracts.models.CommissioningRelationship`, and the commissioner reads the
provider's unpublished data (returns, scorecards, alerts) once the provider's managers or an
auditor confirm it (:func:`decide`). Every path that saves a contract's parties calls
:func:`request_missing`; a path that forgets grants nothing, because access follows only
confirmed relationships (:func:`confirmed_provider_ids`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.accounts.permissions import Viewer, can, visible
from mutuals.contracts.models import CommissioningRelationship, Contract, RelationshipStatus

REQUESTED = "commissioning.request"
CONFIRMED = "commissioning.confirm"
DECLINED = "commissioning.decline"
OBJECT_TYPE = "commissioning"


def request_missing(
    contract: Contract, *, user=None, via: str = ""
) -> list[CommissioningRelationship]:
    """A pending relationship, audited, for each of the contract's commissioners that has
    none with its provider; relationships already asked for (or answered) stay as they are.
    ``via`` names the path (``import-contracts``, ``admin``) for the audit trail."""
    commissioner_ids = set(contract.commissioners.values_list("pk", flat=True))
    known = set(
        CommissioningRelationship.objects.filter(
            provider_id=contract.provider_id, commissioner_id__in=commissioner_ids
        ).values_list("commissioner_id", flat=True)
    )
    created = []
    for commissioner_id in sorted(commissioner_ids - known):
        relationship, made = CommissioningRelationship.objects.get_or_create(
            commissioner_id=commissioner_id,
            provider_id=contract.provider_id,
            defaults={"requested_by": _person(user)},
        )
        if made:
            _audit(REQUESTED, user, relationship, contract=contract, via=via)
            created.append(relationship)
    return created


def decide(viewer: Viewer, user, relationship: CommissioningRelationship, *, confirm: bool):
    """Confirm or decline a relationship, as one of the provider's managers or an auditor
    (never the commissioner asking). Answering again changes the answer."""
    if not can(viewer, "change", relationship):
        raise PermissionDenied("Only the provider's managers or an auditor may answer this")
    status = RelationshipStatus.CONFIRMED if confirm else RelationshipStatus.DECLINED
    with transaction.atomic():
        locked = CommissioningRelationship.objects.select_for_update().get(pk=relationship.pk)
        before = locked.status
        locked.status = status
        locked.decided_at = timezone.now()
        locked.decided_by = _person(user)
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        _audit(CONFIRMED if confirm else DECLINED, user, locked, before=before)
    return locked


def confirmed_provider_ids(commissioner_ids: Iterable[int]) -> frozenset[int]:
    """Providers these commissioning organisations may read the unpublished data of: a
    confirmed relationship, and a contract that still links the two."""
    still_linked = Contract.objects.filter(
        provider=OuterRef("provider"), commissioners=OuterRef("commissioner")
    )
    return frozenset(
        CommissioningRelationship.objects.filter(
            commissioner_id__in=list(commissioner_ids), status=RelationshipStatus.CONFIRMED
        )
        .filter(Exists(still_linked))
        .values_list("provider_id", flat=True)
    )


def awaiting(viewer: Viewer, provider_ids: Iterable[int] | None = None):
    """Pending requests the viewer may answer (for some providers only, when given)."""
    found = visible(viewer, "relationship", "change").filter(status=RelationshipStatus.PENDING)
    if provider_ids is not None:
        found = found.filter(provider_id__in=list(provider_ids))
    return found.select_related("commissioner", "provider", "requested_by")


def of_provider(viewer: Viewer, provider_id: int):
    """The provider's relationships the viewer may see, commissioner by commissioner."""
    return (
        visible(viewer, "relationship")
        .filter(provider_id=provider_id)
        .select_related("commissioner", "decided_by")
    )


def unconfirmed_for(viewer: Viewer, provider_id: int):
    """The viewer's own commissioning organisations' relationships with the provider that do
    not (or not yet) open its data to them: what to tell a commissioner."""
    return (
        CommissioningRelationship.objects.filter(
            commissioner_id__in=viewer.holding("commissioner"), provider_id=provider_id
        )
        .exclude(status=RelationshipStatus.CONFIRMED)
        .select_related("commissioner", "provider")
    )


def _person(user):
    return user if getattr(user, "is_authenticated", False) else None


def _audit(action, user, relationship, *, before=None, contract=None, via=""):
    changes = {
        "commissioner": [None, relationship.commissioner.name],
        "status": [before, relationship.status],
    }
    if contract is not None:
        changes["contract"] = [None, contract.reference]
    if via:
        changes["via"] = [None, via]
    audit.record(
        action,
        user=user,
        obj=relationship,
        object_type=OBJECT_TYPE,
        organisation=relationship.provider,
        changes=changes,
    )
