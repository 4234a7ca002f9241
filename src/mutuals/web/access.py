"""The lookups that open a provider's pages: one rule, used by every view that needs it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from mutuals.accounts.permissions import allowed_in, viewer_for, visible
from mutuals.registry.models import Organisation, OrganisationKind


def provider_for(request, pk: int, action: str, kind: str) -> Organisation:
    """The provider ``pk`` if the viewer may take ``action`` on its ``kind`` of record:
    404 when there is no such provider or the viewer may not see it at all, 403 when they
    may see it but not that."""
    viewer = viewer_for(request)
    organisation = get_object_or_404(
        visible(viewer, "organisation").filter(kind=OrganisationKind.PROVIDER), pk=pk
    )
    if not allowed_in(viewer, action, kind, organisation.pk):
        raise PermissionDenied
    return organisation


def posted(request):
    """The submitted form data on a POST, None on any other method (an unbound form)."""
    return request.POST if request.method == "POST" else None
