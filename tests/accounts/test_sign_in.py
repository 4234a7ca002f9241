"""Signing in and out, lockout, sessions, security headers and the deploy checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings
from django.urls import reverse

from mutuals.accounts.demo import DEMO_PASSWORD
from mutuals.accounts.models import AuditEvent
from mutuals.demo.accounts import ensure_demo_users
from web.test_page_conventions import check_conventions

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("sign-in"), {"username": username, "password": password})


def test_sign_in_and_out_are_audited(client, people):
    response = sign_in(client, "pm@example.org")
    assert response.status_code == 302 and response["Location"] == reverse("account")
    page = client.get(reverse("account")).content.decode()
    assert "Provider manager" in page and "Brackenford Community Health CIC" in page
    client.post(reverse("sign-out"))
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "username"))
    assert actions == [("sign-in", "pm@example.org"), ("sign-out", "pm@example.org")]


def test_wrong_password_shows_the_error_summary_and_is_audited(client, people):
    response = sign_in(client, "pm@example.org", "wrong")
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and "Enter a correct email address and password" in page
    assert AuditEvent.objects.filter(action="sign-in-failed", username="pm@example.org").exists()


def test_empty_form_names_each_field(client, db):
    page = client.post(reverse("sign-in"), {}).content.decode()
    assert "Enter your email address" in page and "Enter your password" in page
    assert 'href="#id_username"' in page and 'href="#id_password"' in page


def test_brute_force_locks_the_account(client, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "pm@example.org", "guess")
    response = sign_in(client, "pm@example.org")  # even the right password is refused now
    assert response.status_code == 429
    assert "This account is locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_success_resets_the_failure_count(client, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "pm@example.org", "guess")
    assert sign_in(client, "pm@example.org").status_code == 302
    client.post(reverse("sign-out"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "pm@example.org", "guess")
    assert sign_in(client, "pm@example.org").status_code == 302


def test_a_stolen_session_cookie_is_useless_after_sign_out(client, people):
    sign_in(client, "pm@example.org")
    stolen = client.cookies["sessionid"].value
    assert client.get(reverse("account")).status_code == 200
    client.post(reverse("sign-out"))

    thief = Client()
    thief.cookies["sessionid"] = stolen
    response = thief.get(reverse("account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("sign-in"))
    # and the organisation's unpublished returns are not shown to the replayed session
    page = thief.get(
        reverse("organisation", args=[people["provider_manager"].roles.get().organisation_id])
    )
    assert "Latest returns" not in page.content.decode()


def test_sign_out_needs_post(client, people):
    sign_in(client, "pm@example.org")
    assert client.get(reverse("sign-out")).status_code == 405


def test_passwords_are_hashed_with_argon2id_at_owasps_cost(db, settings):
    import mutuals.settings as product  # the module: the settings fixture holds the tests' MD5

    settings.PASSWORD_HASHERS = product.PASSWORD_HASHERS
    assert product.PASSWORD_HASHERS[0] == "mutuals.accounts.hashers.Argon2idHasher"
    user = get_user_model().objects.create_user("x@example.org", password=PASSWORD)
    hasher = identify_hasher(user.password)
    assert hasher.algorithm == "argon2"
    assert "$argon2id$" in user.password and "m=19456,t=2,p=1" in user.password


def test_a_password_stored_at_djangos_heavier_cost_still_signs_in_and_is_stored_again(
    client, db, settings
):
    import mutuals.settings as product  # the module: the settings fixture holds the tests' MD5

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",  # Django's: 100 MiB, 8 lanes
        *product.PASSWORD_HASHERS,
    ]
    user = get_user_model().objects.create_user("old@example.org", password=PASSWORD)
    assert "m=102400,t=2,p=8" in user.password
    settings.PASSWORD_HASHERS = product.PASSWORD_HASHERS
    sign_in(client, "old@example.org")
    assert client.get(reverse("account")).status_code == 200
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_security_headers_and_content_security_policy(client, db):
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_secure_outside_debug(client, people, settings):
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    sign_in(client, "pm@example.org")
    cookie = client.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


@override_settings(DEBUG=False)
def test_demo_accounts_are_refused_without_debug(client, db):
    ensure_demo_users()
    response = sign_in(client, "auditor@demo.invalid", DEMO_PASSWORD)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


@override_settings(DEBUG=True)
def test_demo_accounts_work_in_debug(client, db):
    ensure_demo_users()
    assert sign_in(client, "auditor@demo.invalid", DEMO_PASSWORD).status_code == 302


@pytest.mark.slow
def test_check_deploy_passes_with_production_settings(tmp_path):
    # A production-like environment: nothing inherited from the test run (the browser
    # tests, for one, allow async-unsafe ORM calls) but the path to the interpreter.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
        "MUTUALS_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mutuals.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_users_get_their_roles_in_the_demo_world(world):
    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.demo.accounts import assign_demo_roles

    ensure_demo_users()
    placed = assign_demo_roles()
    assert placed["commissioner"] == "Brackenford Primary Care Trust"
    assert placed["provider"] == placed["staff"] == "Brackenford Community Health CIC"
    model = get_user_model()
    viewer = viewer_for_user(model.objects.get(username="provider@demo.invalid"))
    assert viewer.holding("provider_manager") == {world["health"].pk}
    assert viewer_for_user(model.objects.get(username="auditor@demo.invalid")).is_auditor
    assign_demo_roles()  # again: the same roles, not twice as many
    assert model.objects.get(username="staff@demo.invalid").roles.count() == 1


def test_a_form_without_its_csrf_token_gets_the_403_page(people):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("sign-in"), {"username": "pm@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "You cannot see this page" in response.content.decode()


# Lockout is per account; an address is slowed, never locked -------------------------------

OFFICE = "192.0.2.10"  # one address for a whole office behind NAT, or a proxy
ELSEWHERE = "198.51.100.7"


def sign_in_from(client, address, username, password=PASSWORD):
    return client.post(
        reverse("sign-in"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_failures_on_made_up_names_do_not_lock_real_accounts_at_that_address(
    client, people, settings
):
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in_from(client, OFFICE, f"nobody-{n}@example.org", "guess")
    response = sign_in_from(Client(), OFFICE, "pm@example.org")
    assert response.status_code == 302, response.content.decode()[:500]


def test_failures_on_one_account_lock_that_account_only_from_any_address(client, people, settings):
    addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in_from(client, addresses[n % len(addresses)], "pm@example.org", "guess")
    for address in (OFFICE, ELSEWHERE):
        response = sign_in_from(Client(), address, "pm@example.org")  # the right password
        page = response.content.decode()
        assert response.status_code == 429 and "This account is locked" in page
        assert f"{settings.AXES_FAILURE_LIMIT} attempts" in page
    # The same address signs others in: only the account is locked.
    assert sign_in_from(Client(), addresses[0], "c@example.org").status_code == 302


def test_resetting_the_password_unlocks_the_account(client, people, settings):
    """The locked page offers a password reset: it has to work."""
    import re

    from django.core import mail

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "pm@example.org", "guess")
    assert sign_in(client, "pm@example.org").status_code == 429
    client.post(reverse("password-reset"), {"email": "pm@example.org"})
    link = re.search(r"https?://[^/]+(/password-reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new = "a-long-new-password-2011"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert sign_in(client, "pm@example.org", new).status_code == 302


@pytest.fixture
def slow_after_three(settings):
    settings.SIGN_IN_RATE_LIMIT = 3
    return 3


def test_an_address_is_slowed_past_its_limit_and_recovers(client, people, slow_after_three):
    from unittest import mock

    from mutuals.accounts import throttle

    now = 1_700_000_000.0  # the start of a minute
    with mock.patch.object(throttle.time, "time", return_value=now):
        for n in range(slow_after_three):
            assert sign_in_from(client, OFFICE, f"nobody-{n}@example.org", "x").status_code == 400
        slowed = sign_in_from(Client(), OFFICE, "pm@example.org")
        page = slowed.content.decode()
        assert slowed.status_code == 429 and int(slowed["Retry-After"]) > 0
        assert "Attempts to sign in from your network are being slowed down" in page
        assert "locked" not in page.lower()
        check_conventions(page)
        # Another address is not slowed, and the account is not locked.
        assert sign_in_from(Client(), ELSEWHERE, "pm@example.org").status_code == 302
    with mock.patch.object(throttle.time, "time", return_value=now + 61):
        assert sign_in_from(Client(), OFFICE, "pm@example.org").status_code == 302


def test_the_limit_can_be_turned_off(client, people, settings):
    settings.SIGN_IN_RATE_LIMIT = 0
    for n in range(30):
        assert sign_in_from(client, OFFICE, f"nobody-{n}@example.org", "x").status_code == 400
