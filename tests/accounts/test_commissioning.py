"""Confirming a commissioner on the web: the provider's managers see the request and
answer it, the commissioner sees that its access waits for them, and each step is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mutuals.accounts.models import AuditEvent
from web.test_page_conventions import check_conventions

from . import commissioning
from .conftest import make_user

PENDING_BANNER = "wants to read your returns"


@pytest.fixture
def requested(world, people):
    """The PCT's commissioner has recorded a contract with Fenmoor on the web."""
    return commissioning.by_wizard(world, people["commissioner"])


@pytest.fixture
def fenmoor_manager(world):
    return make_user("fenmoor@example.org", "provider_manager", world["practice"])


def _relationship(world):
    from mutuals.contracts.models import CommissioningRelationship

    return CommissioningRelationship.objects.get(
        commissioner=world["pct"], provider=world["practice"]
    )


def _decide(client, world, decision="confirm"):
    url = reverse("commissioning-decision", args=[_relationship(world).pk])
    return client.post(url, {"decision": decision})


def test_the_provider_s_manager_is_asked_and_confirms(client, world, requested, fenmoor_manager):
    client.force_login(fenmoor_manager)
    for url in (reverse("home"), world["practice"].get_absolute_url()):
        page = client.get(url).content.decode()
        assert PENDING_BANNER in page and "Brackenford Primary Care Trust" in page, url
        assert "govuk-notification-banner" in page
        check_conventions(page)
    response = _decide(client, world)
    assert response.status_code == 302
    assert response["Location"].startswith(world["practice"].get_absolute_url())
    page = client.get(response["Location"]).content.decode()
    assert "can now read" in page and PENDING_BANNER not in page
    assert _relationship(world).status == "confirmed"
    assert _relationship(world).decided_by == fenmoor_manager
    [event] = AuditEvent.objects.filter(action="commissioning.confirm")
    assert event.user == fenmoor_manager and event.organisation == world["practice"]


def test_the_manager_may_decline(client, world, requested, fenmoor_manager):
    client.force_login(fenmoor_manager)
    assert _decide(client, world, "decline").status_code == 302
    assert _relationship(world).status == "declined"
    assert AuditEvent.objects.filter(action="commissioning.decline").exists()
    page = client.get(world["practice"].get_absolute_url()).content.decode()
    assert PENDING_BANNER not in page and "Declined" in page
    check_conventions(page)
    # A decline can be undone from the same page.
    assert "Confirm Brackenford Primary Care Trust after all" in page
    assert _decide(client, world, "confirm").status_code == 302
    assert _relationship(world).status == "confirmed"


def test_the_commissioner_sees_that_access_is_pending(client, world, people, requested):
    client.force_login(people["commissioner"])
    for url in (requested.get_absolute_url(), world["practice"].get_absolute_url()):
        page = client.get(url).content.decode()
        assert "waiting for Fenmoor Social Work Practice to confirm" in page, url
        check_conventions(page)
    # Its own contract stays its own: it can still change it.
    assert client.get(reverse("contract-edit", args=[requested.pk])).status_code == 302


@pytest.mark.parametrize(
    ("role", "status"),
    [("commissioner", 403), ("provider_manager", 404), ("provider_staff", 404)],
)
def test_only_the_provider_s_managers_and_auditors_may_answer(
    sign_in, world, requested, role, status
):
    assert _decide(sign_in(role), world).status_code == status
    assert _relationship(world).status == "pending"


def test_an_auditor_may_confirm(sign_in, world, requested):
    assert _decide(sign_in("auditor"), world).status_code == 302
    assert _relationship(world).status == "confirmed"


def test_the_answer_is_posted_and_checked(client, world, requested, fenmoor_manager):
    client.force_login(fenmoor_manager)
    url = reverse("commissioning-decision", args=[_relationship(world).pk])
    assert client.get(url).status_code == 405
    for bad in ({}, {"decision": "maybe"}):
        response = client.post(url, bad)
        assert response.status_code == 400
        check_conventions(response.content.decode())
    assert _relationship(world).status == "pending"
    assert client.post(reverse("commissioning-decision", args=[999999])).status_code == 404


def test_the_request_is_audited_once(world, people, requested):
    [event] = AuditEvent.objects.filter(action="commissioning.request")
    assert event.user == people["commissioner"] and event.organisation == world["practice"]
    # Changing the contract again asks nothing new.
    commissioning.by_changing_the_provider(world, people["commissioner"])
    assert AuditEvent.objects.filter(action="commissioning.request").count() == 1
