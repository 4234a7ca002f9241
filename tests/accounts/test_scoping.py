"""No page, search result or upload reveals another organisation's unpublished data, even to
someone guessing ids. Returns are unpublished; registry entries and contract terms are
public records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mutuals.accounts import audit
from mutuals.accounts.permissions import viewer_for_user
from mutuals.registry.models import Organisation
from mutuals.returns.models import Observation
from mutuals.returns.queries import latest_returns

# A figure only Brackenford Community Health's returns hold.
SECRET = "93.25"


@pytest.mark.parametrize("role", ["public", "provider_staff"])
def test_returns_are_hidden_from_those_without_rights(sign_in, world, role):
    client = sign_in(role)
    for organisation in Organisation.objects.all():
        page = client.get(organisation.get_absolute_url()).content.decode()
        assert "Latest returns" not in page and SECRET not in page, organisation.name


@pytest.mark.parametrize("role", ["commissioner", "provider_manager"])
def test_returns_are_shown_only_for_organisations_in_reach(sign_in, world, people, role):
    client = sign_in(role)
    assert SECRET in client.get(world["health"].get_absolute_url()).content.decode()
    for organisation in Organisation.objects.exclude(pk=world["health"].pk):
        viewer = viewer_for_user(people[role])
        assert latest_returns(organisation, viewer=viewer) == [] or organisation == world["exited"]
    page = client.get(world["practice"].get_absolute_url()).content.decode()
    assert "Latest returns" not in page


def test_guessing_ids_finds_nothing(sign_in, world):
    client = sign_in("provider_manager")
    biggest = max(Organisation.objects.values_list("pk", flat=True))
    for pk in range(1, biggest + 20):
        upload = client.get(reverse("returns-upload", args=[pk]))
        expected = 200 if pk == world["health"].pk else (403 if pk <= biggest else 404)
        if not Organisation.objects.filter(pk=pk).exists():
            expected = 404
        assert upload.status_code == expected, pk
        page = client.get(reverse("organisation", args=[pk]))
        assert page.status_code in (200, 404)
        if pk != world["health"].pk:
            assert "Latest returns" not in page.content.decode()
    for pk in (999_999, 0):
        assert client.get(reverse("contract", args=[pk])).status_code == 404
        assert client.get(reverse("contract-edit", args=[pk])).status_code in (403, 404)


def test_audit_trail_is_shown_to_the_contracts_commissioners_and_auditors(
    client, sign_in, world, people
):
    contract = world["practice_contract"]
    audit.record(
        "contract.change",
        obj=contract,
        organisation=contract.provider,
        changes={"title": ["Old secret title", "New"]},
    )
    url = contract.get_absolute_url()
    for role in ("public", "provider_manager", "provider_staff", "commissioner"):
        client.logout()
        page = sign_in(role).get(url).content.decode()
        assert "Old secret title" not in page, role
    client.logout()
    assert "Old secret title" in sign_in("auditor").get(url).content.decode()


def test_a_file_naming_another_organisation_is_rejected_whole(sign_in, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = sign_in("provider_manager")
    before = Observation.objects.count()
    rows = b"organisation,metric,period,value\nNQX01,visits-on-time,2012-Q1,90\nRS007001,visits-on-time,2012-Q1,90\n"
    response = client.post(
        reverse("returns-upload", args=[world["health"].pk]),
        {"returns_file": SimpleUploadedFile("r.csv", rows)},
    )
    assert response.status_code == 400 and "row 3, column organisation" in response.content.decode()
    assert Observation.objects.count() == before


def test_search_results_are_scoped(sign_in, world):
    client = sign_in("public")
    listed = client.get(reverse("organisations") + "?q=fenmoor").context["page"].object_list
    assert {o.name for o in listed} == {"Fenmoor County Council", "Fenmoor Social Work Practice"}
