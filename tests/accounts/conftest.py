"""People in each role, in the web tests' small world.

The commissioner works for Brackenford PCT, which commissions Brackenford Community
Health's contract; the provider manager and staff member work for Brackenford Community
Health. Fenmoor Social Work Practice (commissioned by Fenmoor County Council) is the
organisation none of them but the auditor may see the unpublished data of."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from mutuals.accounts.models import Role
from web.conftest import _fresh_cache, world  # noqa: F401

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Argon2 is slow by design; tests that do not check the hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(email: str, role: str | None = None, organisation=None):
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    if role:
        Role.objects.create(user=user, role=role, organisation=organisation)
    return user


@pytest.fixture
def people(world):  # noqa: F811
    return {
        "commissioner": make_user("c@example.org", "commissioner", world["pct"]),
        "provider_manager": make_user("pm@example.org", "provider_manager", world["health"]),
        "provider_staff": make_user("ps@example.org", "provider_staff", world["health"]),
        "auditor": make_user("a@example.org", "auditor"),
        "public": None,
    }


@pytest.fixture
def sign_in(client, people):
    def as_role(role: str):
        if people[role] is not None:
            client.force_login(people[role])
        return client

    return as_role
