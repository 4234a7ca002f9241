"""Naming an organisation on the command line: by its id, ODS code, company number or
charity number, whichever the person has to hand."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Q

from mutuals.registry.models import Organisation, OrganisationKind


def organisation_by_key(key: str, *, provider_because: str = "") -> Organisation:
    """The one organisation ``key`` names, or a ``CommandError`` saying why not. With
    ``provider_because``, it must be a provider, and the error for any other kind ends with
    that reason (such as "it has no register")."""
    key = (key or "").strip()
    match = Q(ods_code__iexact=key) | Q(company_number__iexact=key) | Q(charity_number__iexact=key)
    if key.isdigit():
        match |= Q(pk=int(key))
    found = list(Organisation.objects.filter(match)[:2]) if key else []
    if not found:
        raise CommandError(
            f"No organisation has the id, ODS code or company number {key!r} "
            "(nor that charity number)."
        )
    if len(found) > 1:
        raise CommandError(f"{key!r} names more than one organisation: use the id.")
    organisation = found[0]
    if provider_because and organisation.kind != OrganisationKind.PROVIDER:
        raise CommandError(
            f"{organisation.name} is a {organisation.get_kind_display().lower()}, not a "
            f"spin-out provider: {provider_because}."
        )
    return organisation
