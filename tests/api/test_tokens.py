"""Personal API tokens: shown once, kept hashed, scoped, revocable, with a last-used time."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.urls import reverse

from mutuals.accounts.models import ApiToken, AuditEvent
from web.test_page_conventions import check_conventions


def create(username: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create-token", username, *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_token_prints_the_token_once_and_keeps_only_its_hash(people):
    token, note = create("pm@example.org", "--scopes", "read,submit-returns", "--name", "ERP")
    record = ApiToken.objects.get()
    assert token.startswith(record.prefix + "_") and len(token) > 50
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {record.prefix, record.digest, record.name, record.scopes}
    assert record.scope_list == ["read", "submit-returns"] and record.name == "ERP"
    assert record.prefix in note and "shown only now" in note
    event = AuditEvent.objects.get(action="api-token.create")
    assert event.changes["owner"] == [None, "pm@example.org"]


def test_create_token_names_what_is_wrong(people):
    with pytest.raises(CommandError, match="no person with the username 'nobody'"):
        create("nobody")
    with pytest.raises(CommandError, match="unknown scope write: use read, submit-returns"):
        create("pm@example.org", "--scopes", "read,write")
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_refused(people, api):
    token, _ = create("a@example.org")
    assert api.get("/returns", token=token).status_code == 200
    prefix = ApiToken.objects.get().prefix
    out = io.StringIO()
    call_command("revoke-token", prefix.removeprefix("mut_"), stdout=out)
    assert f"Revoked token {prefix}" in out.getvalue()
    response = api.get("/returns", token=token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert "revoked" in response.json()["detail"]
    with pytest.raises(CommandError, match="already revoked"):
        call_command("revoke-token", prefix)
    with pytest.raises(CommandError, match="no token mut_00000000"):
        call_command("revoke-token", "mut_00000000")


def test_a_token_records_when_it_was_last_used(people, api):
    token, _ = create("a@example.org")
    assert ApiToken.objects.get().last_used_at is None
    api.get("/organisations", token=token)
    assert ApiToken.objects.get().last_used_at is not None


def test_a_deactivated_persons_token_is_refused(people, api):
    token, _ = create("a@example.org")
    people["auditor"].is_active = False
    people["auditor"].save()
    assert api.get("/organisations", token=token).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer mut_nonsense", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_a_malformed_or_unknown_token_is_refused_even_where_the_public_may_read(
    world, api, client, header
):
    response = client.get("/api/v1/organisations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tokens_are_in_the_admin_without_their_secret():
    assert ApiToken in admin.site._registry
    model_admin = admin.site._registry[ApiToken]
    assert "digest" not in model_admin.fields
    assert not model_admin.has_add_permission(None)


def test_a_person_creates_and_revokes_their_own_tokens_on_their_account_page(client, people, api):
    client.force_login(people["provider_manager"])
    response = client.post(reverse("account"), {"name": "Finance", "scopes": ["read"]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    check_conventions(page)
    record = ApiToken.objects.get(user=people["provider_manager"])
    token = page.split('<code class="mutuals-code mutuals-code--wrap">')[1].split("<")[0]
    assert token.startswith(record.prefix)
    assert api.get("/returns", token=token).status_code == 200
    # Shown once: the page never shows it again, only its prefix.
    page = client.get(reverse("account")).content.decode()
    assert token not in page and record.prefix in page and "Finance" in page

    response = client.post(reverse("account"), {"revoke_token": record.prefix}, follow=True)
    assert f"Token {record.prefix} is revoked" in response.content.decode()
    assert api.get("/returns", token=token).status_code == 401


def test_the_account_page_says_what_is_missing(client, people):
    client.force_login(people["provider_manager"])
    response = client.post(reverse("account"), {"name": ""})
    assert response.status_code == 400
    page = response.content.decode()
    check_conventions(page)
    assert "Enter what the token is for" in page
    assert "Select at least one thing the token may do" in page
    assert not ApiToken.objects.exists()


def test_nobody_revokes_someone_elses_token(client, people):
    record, _ = ApiToken.objects.issue(people["auditor"], ["read"])
    client.force_login(people["provider_manager"])
    client.post(reverse("account"), {"revoke_token": record.prefix})
    record.refresh_from_db()
    assert record.is_active
