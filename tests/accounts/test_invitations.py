"""Invitations (signed, expiring, single-use links) and password reset by email."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from mutuals.accounts.models import AuditEvent, Invitation, Role
from web.test_page_conventions import check_conventions

NEW_PASSWORD = "a-long-new-password-2011"


def _invite(client, world, email="new@example.org", role="provider_staff"):
    response = client.post(
        reverse("invite"), {"email": email, "role": role, "organisation": world["health"].pk}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return re.search(r"https?://[^/]+(/invitation/[^/\s]+/)", mail.outbox[-1].body).group(1)


def _accept(client, link, name="Ada Lovelace"):
    return client.post(
        link,
        {"display_name": name, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_a_provider_manager_invites_staff_who_set_a_password(sign_in, client, world):
    link = _invite(sign_in("provider_manager"), world)
    client.logout()
    assert "Accept your invitation" in client.get(link).content.decode()
    assert _accept(client, link)["Location"] == reverse("sign-in")
    user = get_user_model().objects.get(username="new@example.org")
    assert user.check_password(NEW_PASSWORD)
    assert user.get_full_name() == "Ada Lovelace"  # the name shown, never the address
    assert Role.objects.get(user=user).organisation == world["health"]
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accept").exists()
    [named] = AuditEvent.objects.filter(action="display-name.change")
    assert named.changes == {"display_name": [None, "Ada Lovelace"]}


def test_accepting_asks_for_a_name_that_is_not_an_email_address(sign_in, client, world):
    link = _invite(sign_in("provider_manager"), world)
    client.logout()
    page = client.get(link).content.decode()
    assert 'name="display_name"' in page
    for name, error in (
        ("", "Enter your name"),
        ("new@example.org", "not an email address"),
        ("new\uff20example.org", "not an email address"),  # a full-width @
    ):
        response = _accept(client, link, name=name)
        assert response.status_code == 400 and error in response.content.decode()
        check_conventions(response.content.decode())
    assert Invitation.objects.get().accepted_at is None  # nothing saved until it is right
    assert not get_user_model().objects.filter(username="new@example.org").exists()


def test_a_link_works_once(sign_in, client, world):
    link = _invite(sign_in("provider_manager"), world)
    client.logout()
    _accept(client, link)
    response = client.get(link)
    assert response.status_code == 400 and "already been used" in response.content.decode()


def test_an_expired_link_is_refused(sign_in, client, world, settings):
    link = _invite(sign_in("provider_manager"), world)
    client.logout()
    eight_days_later = time.time() + 8 * 24 * 3600
    with mock.patch("time.time", return_value=eight_days_later):
        response = client.get(link)
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_a_tampered_link_is_refused(sign_in, client, world):
    link = _invite(sign_in("provider_manager"), world)
    client.logout()
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = token.replace(token.split(":")[0], str(int(token.split(":")[0]) + 1), 1)
    response = client.get(reverse("invitation-accept", args=[forged]))
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_a_provider_manager_cannot_invite_outside_their_organisation(sign_in, world):
    client = sign_in("provider_manager")
    response = client.post(
        reverse("invite"),
        {"email": "x@example.org", "role": "provider_staff", "organisation": world["practice"].pk},
    )
    assert response.status_code == 400 and "Select an organisation you manage" in (
        response.content.decode()
    )
    response = client.post(reverse("invite"), {"email": "x@example.org", "role": "auditor"})
    assert response.status_code == 400 and not mail.outbox


def test_staff_and_public_cannot_invite(sign_in, client, world):
    assert client.get(reverse("invite")).status_code == 302  # to sign in
    assert sign_in("provider_staff").get(reverse("invite")).status_code == 403


def test_password_reset_by_email(client, people):
    response = client.post(reverse("password-reset"), {"email": "pm@example.org"})
    assert response["Location"] == reverse("password-reset-sent")
    link = re.search(r"https?://[^/]+(/password-reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link)  # Django swaps the token for a session marker
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("password-reset-complete")
    people["provider_manager"].refresh_from_db()
    assert people["provider_manager"].check_password(NEW_PASSWORD)
    assert client.get(form_url).content.decode().count("expired or has been used") == 1


def test_invitation_age_is_a_week(settings):
    assert timedelta(days=settings.INVITATION_MAX_AGE_DAYS) == timedelta(days=7)
