"""Commissioners a provider has or has not confirmed, on the provider's page and the home
page, and the provider's answer to one asking to read its returns.

A commissioner that records a contract naming a provider only asks to read the provider's
unpublished data (see :mod:`mutuals.contracts.relationships`): the provider's managers see
the request in a notification banner and confirm or decline it with a posted form; an
auditor may answer too. The commissioner is told its access is waiting."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import Viewer, allowed_in, can, viewer_for, visible
from mutuals.contracts import relationships
from mutuals.contracts.models import CommissioningRelationship
from mutuals.registry.models import Organisation
from mutuals.web.params import cleaned

CONFIRM, DECLINE = "confirm", "decline"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(CONFIRM, "Confirm"), (DECLINE, "Decline")],
        error_messages={
            "required": "Choose whether to confirm or decline the commissioner",
            "invalid_choice": "Choose whether to confirm or decline the commissioner",
        },
    )


@dataclass(frozen=True)
class CommissionersSection:
    """What the provider's page shows of its commissioners' access to its returns."""

    relationships: list[CommissioningRelationship]
    awaiting: list[CommissioningRelationship]  # pending, for the viewer to answer
    unconfirmed_own: list[CommissioningRelationship]  # the viewer's, as a commissioner
    may_decide: bool
    whose: str  # "your" to the provider's managers, "<provider>'s" to anyone else


def organisation_section(viewer: Viewer, organisation: Organisation) -> CommissionersSection:
    may_decide = allowed_in(viewer, "change", "relationship", organisation.pk)
    managed = organisation.pk in viewer.holding("provider_manager")
    return CommissionersSection(
        relationships=list(relationships.of_provider(viewer, organisation.pk)),
        awaiting=list(relationships.awaiting(viewer, [organisation.pk])) if may_decide else [],
        unconfirmed_own=list(relationships.unconfirmed_for(viewer, organisation.pk)),
        may_decide=may_decide,
        whose="your" if managed else f"{organisation.name}'s",
    )


def awaiting_managers(viewer: Viewer) -> list[CommissioningRelationship]:
    """Requests waiting for the viewer as a provider's manager, for the home page."""
    managed = viewer.holding("provider_manager")
    return list(relationships.awaiting(viewer, managed)) if managed else []


@require_POST
@login_required
def decide(request, pk: int):
    """Confirm or decline one commissioner (404 when the viewer may not see the request,
    403 when they see it but may not answer it: the commissioner that asked)."""
    viewer = viewer_for(request)
    relationship = get_object_or_404(
        visible(viewer, "relationship").select_related("commissioner", "provider"), pk=pk
    )
    if not can(viewer, "change", relationship):
        raise PermissionDenied("Only the provider's managers or an auditor may answer this")
    confirm = cleaned(DecisionForm(request.POST))["decision"] == CONFIRM
    relationships.decide(viewer, request.user, relationship, confirm=confirm)
    commissioner, provider = relationship.commissioner.name, relationship.provider.name
    messages.success(
        request,
        f"{commissioner} can now read {provider}'s returns, scorecards and alerts"
        if confirm
        else f"{commissioner} will not see {provider}'s returns, scorecards or alerts",
    )
    return redirect(relationship.provider.get_absolute_url() + "#commissioners-heading")
