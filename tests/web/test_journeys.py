"""The journeys through the Django test client (tests/browser drives them in Chromium)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mutuals.accounts.models import AuditEvent, Role
from mutuals.contracts.models import Contract
from mutuals.returns.models import Observation


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def person(email, role, organisation=None):
    user = get_user_model().objects.create_user(username=email, email=email)
    Role.objects.create(user=user, role=role, organisation=organisation)
    return user


@pytest.fixture
def manager_client(client, world):
    client.force_login(person("pm@example.org", "provider_manager", world["health"]))
    return client


@pytest.fixture
def commissioner_client(client, world):
    client.force_login(person("c@example.org", "commissioner", world["pct"]))
    return client


def csv_file(text: str, name="returns.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# Returns upload


def test_upload_shows_every_problem_then_accepts_the_fixed_file(manager_client, world):
    url = reverse("returns-upload", args=[world["health"].pk])
    assert manager_client.get(url).status_code == 200

    bad = (
        "organisation,metric,period,value\n"
        "NQX01,visits-on-time,2011-Q3,ninety\n"
        "NQX01,no-such-metric,2011-Q4,5\n"
        "RS007001,visits-on-time,2011-Q3,80\n"  # another organisation's row
    )
    response = manager_client.post(url, {"returns_file": csv_file(bad)})
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and 'href="#id_returns_file"' in page
    for row in (2, 3, 4):
        assert f"row {row}, column" in page
    assert "Nothing was imported" in page
    assert Observation.objects.filter(period="2011-Q4").count() == 0
    assert not Observation.objects.filter(organisation=world["practice"]).exists()

    good = "organisation,metric,period,value\nNQX01,visits-on-time,2011-Q3,94.5\n"
    response = manager_client.post(url, {"returns_file": csv_file(good)})
    page = response.content.decode()
    assert response.status_code == 200 and "Returns received" in page
    current = Observation.objects.get(
        organisation=world["health"], metric=world["visits"], period="2011-Q3", is_current=True
    )
    assert (current.value, current.version) == (94.5, 3)
    event = AuditEvent.objects.get(action="returns.import")
    assert event.username == "pm@example.org" and event.changes["imported"] == [None, 1]

    organisation_page = manager_client.get(world["health"].get_absolute_url())
    latest = {o.metric.code: o for o in organisation_page.context["latest_returns"]}
    assert latest["visits-on-time"].value == 94.5 and latest["visits-on-time"].versions == 3


def test_upload_caps_the_problems_listed(manager_client, world):
    rows = "".join(
        f"NQX01,visits-on-time,{2000 + n // 12}-{n % 12 + 1:02d},bad{n}\n" for n in range(130)
    )
    response = manager_client.post(
        reverse("returns-upload", args=[world["health"].pk]),
        {"returns_file": csv_file("organisation,metric,period,value\n" + rows)},
    )
    page = response.content.decode()
    assert page.count("row ") >= 100 and "row 101, column" in page
    assert "row 102, column" not in page
    assert "And 30 more problems not listed here" in page


def test_upload_needs_a_csv_or_xlsx_file(manager_client, world):
    url = reverse("returns-upload", args=[world["health"].pk])
    page = manager_client.post(url, {}).content.decode()
    assert "Select a returns file" in page
    page = manager_client.post(url, {"returns_file": csv_file("x", "notes.txt")}).content.decode()
    assert "must be a CSV or XLSX file" in page


def test_upload_for_another_organisation_is_forbidden(manager_client, world):
    assert (
        manager_client.get(reverse("returns-upload", args=[world["practice"].pk])).status_code
        == 403
    )
    assert manager_client.get(reverse("returns-upload", args=[999999])).status_code == 404


def test_staff_and_public_cannot_upload(client, world):
    url = reverse("returns-upload", args=[world["health"].pk])
    assert client.get(url)["Location"] == f"{reverse('sign-in')}?next={url}"
    client.force_login(person("ps@example.org", "provider_staff", world["health"]))
    assert client.get(url).status_code == 403


# Contract journey


def _walk_new_contract(client, world):
    client.get(reverse("contract-new"))
    steps = {
        "terms": {
            "reference": "RTR-0099",
            "title": "Podiatry in Brackenford",
            "provider": world["health"].pk,
            "start_date": "2012-04-01",
            "end_date": "2015-03-31",
            "annual_value": "450000",
            "status": "active",
        },
        "commissioners": {"commissioners": [world["pct"].pk]},
        "baseline": {
            "annual_cost": "440000",
            "annual_activity": "12000",
            "activity_unit": "appointments",
            "price_year": "2011",
        },
        "value": {"savings_requirement_pct": "1.5", "continuity_plan": "Back to the trust."},
    }
    for name, data in steps.items():
        if name == "value":
            url = reverse("contract-new-step", args=["objectives"])
            response = client.post(
                url,
                {
                    "add": "1",
                    "description": "Fewer missed appointments",
                    "metric": world["visits"].pk,
                    "direction": "increase",
                    "target": "95",
                    "deadline": "2014-03-31",
                },
            )
            assert response.status_code == 302
        response = client.post(reverse("contract-new-step", args=[name]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_commissioner_creates_a_contract(commissioner_client, world):
    response = _walk_new_contract(commissioner_client, world)
    assert response["Location"] == reverse("contract-new-check")
    page = commissioner_client.get(reverse("contract-new-check")).content.decode()
    assert "Check your answers" in page and "Podiatry in Brackenford" in page
    assert "Fewer missed appointments" in page
    response = commissioner_client.post(reverse("contract-new-check"))
    contract = Contract.objects.get(reference="RTR-0099")
    assert response["Location"] == reverse("contract-saved", args=[contract.pk])
    assert "Contract created" in commissioner_client.get(response["Location"]).content.decode()
    assert contract.baseline.annual_cost == Decimal("440000")
    assert contract.objectives.get().is_measurable
    assert list(contract.commissioners.all()) == [world["pct"]]
    event = AuditEvent.objects.get(action="contract.create")
    assert event.changes["title"] == [None, "Podiatry in Brackenford"]


def test_commissioner_edits_a_contract_and_the_change_is_audited(commissioner_client, world):
    contract = world["health_contract"]
    commissioner_client.get(reverse("contract-edit", args=[contract.pk]))
    terms_url = reverse("contract-edit-step", args=[contract.pk, "terms"])
    page = commissioner_client.get(terms_url).content.decode()
    assert 'value="RTR-0001"' in page
    response = commissioner_client.post(
        terms_url + "?from=check",
        {
            "reference": "RTR-0001",
            "title": "Community nursing in Brackenford",
            "provider": world["health"].pk,
            "start_date": "2011-04-01",
            "end_date": "2016-03-31",
            "annual_value": "13000000",
            "status": "active",
        },
    )
    assert response["Location"] == reverse("contract-edit-check", args=[contract.pk])
    commissioner_client.post(reverse("contract-edit-check", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.annual_value == Decimal("13000000")
    assert contract.objectives.count() == 2  # unchanged answers are kept
    event = AuditEvent.objects.get(action="contract.change")
    assert event.changes == {"annual_value": ["12500000.10", "13000000"]}
    page = commissioner_client.get(contract.get_absolute_url()).content.decode()
    assert "Changes to this contract" in page and "13000000" in page


def test_question_pages_show_errors_in_the_summary(commissioner_client, world):
    commissioner_client.get(reverse("contract-new"))
    response = commissioner_client.post(
        reverse("contract-new-step", args=["terms"]),
        {"start_date": "2012-04-01", "end_date": "2011-01-01", "annual_value": "lots"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    for text in (
        "Enter the contract&#x27;s reference",
        "The end date must be the same as or after the start date",
        "must be a number of pounds",
        'href="#id_reference"',
    ):
        assert text in page


def test_others_cannot_change_contracts(client, world):
    contract = world["practice_contract"]  # commissioned by the council, not the PCT
    client.force_login(person("c@example.org", "commissioner", world["pct"]))
    assert client.get(reverse("contract-edit", args=[contract.pk])).status_code == 403
    assert client.get(reverse("contract-edit", args=[999999])).status_code == 404
    client.force_login(person("pm@example.org", "provider_manager", world["health"]))
    assert client.get(reverse("contract-new")).status_code == 403


# Auditor and public


def test_auditor_browses_filters_and_opens_anything(auditor_client, world):
    page = auditor_client.get(reverse("organisations") + "?kind=provider").content.decode()
    assert "Fenmoor Social Work Practice" in page
    page = auditor_client.get(world["practice"].get_absolute_url()).content.decode()
    assert "Latest returns" in page
    page = auditor_client.get(world["health"].get_absolute_url()).content.decode()
    assert "93.25" in page
    assert auditor_client.get(world["practice_contract"].get_absolute_url()).status_code == 200


def test_the_public_see_published_records_only(client, world):
    page = client.get(world["health"].get_absolute_url()).content.decode()
    assert "Latest returns" not in page and "93.25" not in page
    assert client.get(world["health_contract"].get_absolute_url()).status_code == 200
    assert (
        "Changes to this contract"
        not in client.get(world["health_contract"].get_absolute_url()).content.decode()
    )
