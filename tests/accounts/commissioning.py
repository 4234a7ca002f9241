"""Every way a commissioner can come to commission a provider, for the permission tests.

Each way links the commissioner's PCT (Brackenford) to Fenmoor Social Work Practice, a
provider it did not commission before, and returns the contract that links them. Recording
the link is open to anyone holding the commissioner's role (or running an import), so none
of these ways may, by itself, give the PCT Fenmoor's unpublished data."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from mutuals.contracts.models import Contract

TERMS = {
    "title": "Care leavers in Fenmoor, jointly",
    "start_date": "2012-04-01",
    "end_date": "2015-03-31",
    "annual_value": "450000",
    "status": "active",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def by_wizard(world, commissioner) -> Contract:
    """The commissioner records a new contract on the web, naming Fenmoor as provider."""
    client = _client(commissioner)
    client.get(reverse("contract-new"))
    answers = {
        "terms": {**TERMS, "reference": "WAY-WIZARD", "provider": world["practice"].pk},
        "commissioners": {"commissioners": [world["pct"].pk]},
        "baseline": {},
        "value": {},
    }
    for step, data in answers.items():
        response = client.post(reverse("contract-new-step", args=[step]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("contract-new-check"))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Contract.objects.get(reference="WAY-WIZARD")


def by_changing_the_provider(world, commissioner) -> Contract:
    """The commissioner edits a contract it commissions and names Fenmoor as its provider."""
    contract = world["ended_contract"]
    client = _client(commissioner)
    client.get(reverse("contract-edit", args=[contract.pk]))
    terms = {
        **TERMS,
        "reference": contract.reference,
        "status": contract.status,
        "provider": world["practice"].pk,
    }
    step = reverse("contract-edit-step", args=[contract.pk, "terms"])
    assert client.post(step + "?from=check", terms).status_code == 302
    response = client.post(reverse("contract-edit-check", args=[contract.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    contract.refresh_from_db()
    assert contract.provider == world["practice"]
    return contract


def by_import_contracts(world, commissioner) -> Contract:
    """``mutuals import-contracts`` with a row naming the PCT and Fenmoor."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contracts.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["reference", "provider", "commissioners", *TERMS])
            writer.writerow(["WAY-CSV", "RS007001", "5QX", *TERMS.values()])
        call_command("import-contracts", str(path))
    return Contract.objects.get(reference="WAY-CSV")


def by_import_ocds(world, commissioner) -> Contract:
    """``mutuals import-ocds`` with a release whose buyer is the PCT and supplier Fenmoor."""
    from mutuals.contracts.ocds import OCID_PREFIX, export_release_package

    package = export_release_package(Contract.objects.filter(pk=world["ended_contract"].pk))
    release = package["releases"][0]
    release["ocid"] = OCID_PREFIX + "WAY-OCDS"
    release["id"] = "WAY-OCDS-1"
    for contract in release.get("contracts") or []:
        contract["id"] = "WAY-OCDS"
    supplier = next(p for p in release["parties"] if p["roles"] == ["supplier"])
    supplier.update(
        id="GB-COH-RS007001",
        name=world["practice"].name,
        identifier={"scheme": "GB-COH", "id": "RS007001"},
    )
    supplier.pop("additionalIdentifiers", None)
    release["awards"][0]["suppliers"] = [{"id": "GB-COH-RS007001", "name": supplier["name"]}]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "package.json"
        path.write_text(json.dumps(package, default=str))
        call_command("import-ocds", str(path))
    contract = Contract.objects.get(reference="WAY-OCDS")
    assert contract.provider == world["practice"]
    assert list(contract.commissioners.all()) == [world["pct"]]
    return contract


def by_admin(world, commissioner) -> Contract:
    """Someone with the back office adds the contract there."""
    admin = get_user_model().objects.create_superuser("admin@example.org", "admin@example.org")
    client = _client(admin)
    data = {
        **TERMS,
        "reference": "WAY-ADMIN",
        "provider": world["practice"].pk,
        "commissioners": [world["pct"].pk],
    }
    for prefix in ("baseline", "objectives"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(reverse("admin:contracts_contract_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Contract.objects.get(reference="WAY-ADMIN")


def by_code(world, commissioner) -> Contract:
    """A path that forgets to ask for confirmation (a script, a future importer)."""
    contract = Contract.objects.create(reference="WAY-CODE", provider=world["practice"], **TERMS)
    contract.commissioners.add(world["pct"])
    return contract


# The ways people record a contract, each of which asks the provider to confirm.
WAYS: dict[str, Callable] = {
    "wizard": by_wizard,
    "edit": by_changing_the_provider,
    "import-contracts": by_import_contracts,
    "import-ocds": by_import_ocds,
    "admin": by_admin,
}
# Ways that link the two and must grant nothing, the confirmed ones above and code that
# never asks: access follows a confirmed relationship, not the link itself.
LINKS: dict[str, Callable] = {**WAYS, "code": by_code}
