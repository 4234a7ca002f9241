"""The demo's sign-in accounts: created with their password and placed in the demo world."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q

from mutuals.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USERS


def ensure_demo_users() -> list[str]:
    """Create (or reset the password of) the demo accounts; returns their user names."""
    model = get_user_model()
    names = []
    for role, full_name in DEMO_USERS:
        email = f"{role}@{DEMO_DOMAIN}"
        user, _ = model.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": full_name}
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = role == "auditor"
        user.save()
        names.append(email)
    return names


@transaction.atomic
def assign_demo_roles() -> dict[str, str]:
    """Give the demo accounts their roles in the demo world: the commissioner to the NHS
    commissioner with the most Right to Request contracts, the provider manager and staff
    member to one of its spin-outs, the auditor everywhere. Returns who is where."""
    from mutuals.accounts.models import Role, RoleName
    from mutuals.contracts.models import Contract
    from mutuals.registry.models import LegalForm, Organisation, ProgrammeKind

    model = get_user_model()
    users = {role: model.objects.get(username=f"{role}@{DEMO_DOMAIN}") for role, _ in DEMO_USERS}
    Role.objects.filter(user__in=users.values()).delete()
    Role.objects.create(user=users["auditor"], role=RoleName.AUDITOR)
    spin_out = Q(contracts_commissioned__provider__programmes__kind=ProgrammeKind.RIGHT_TO_REQUEST)
    commissioner = (
        Organisation.objects.filter(legal_form=LegalForm.NHS_COMMISSIONER)
        .annotate(n=Count("contracts_commissioned", filter=spin_out, distinct=True))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .first()
    )
    if commissioner is None:
        return {"auditor": "all organisations"}
    provider = (
        Contract.objects.filter(
            commissioners=commissioner,
            provider__programmes__kind=ProgrammeKind.RIGHT_TO_REQUEST,
            provider__exit_date__isnull=True,
        )
        .order_by("provider__name")
        .values_list("provider", flat=True)
        .first()
    )
    provider = Organisation.objects.get(pk=provider) if provider else None
    Role.objects.create(
        user=users["commissioner"], role=RoleName.COMMISSIONER, organisation=commissioner
    )
    placed = {"commissioner": commissioner.name, "auditor": "all organisations"}
    if provider is not None:
        Role.objects.create(
            user=users["provider"], role=RoleName.PROVIDER_MANAGER, organisation=provider
        )
        Role.objects.create(
            user=users["staff"], role=RoleName.PROVIDER_STAFF, organisation=provider
        )
        placed["provider"] = placed["staff"] = provider.name
        from mutuals.governance.demo import enrol_demo_accounts

        enrol_demo_accounts(provider, staff_user=users["staff"], manager_user=users["provider"])
    return placed
