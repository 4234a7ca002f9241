"""People in each role with a token, in the web tests' small world, and a client that
sends the token."""

from __future__ import annotations

import json

import pytest

from accounts.conftest import _fast_hashing, make_user, people  # noqa: F401
from mutuals.accounts.models import ApiToken
from web.conftest import _fresh_cache, world  # noqa: F401

ALL_SCOPES = ["read", "submit-returns", "evaluate"]


@pytest.fixture
def tokens(people):  # noqa: F811
    """A token with every scope (but admin) for each role; None for the public."""
    return {
        role: ApiToken.objects.issue(user, ALL_SCOPES, name=f"{role} test")[1] if user else None
        for role, user in people.items()
    }


class Api:
    """The Django test client, speaking to /api/v1/ with a bearer token."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, token) -> dict:
        token = self.token if token is None else token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, token: str | None = None, **params):
        return self.client.get("/api/v1" + path, params, headers=self._headers(token))

    def post(self, path: str, body, token: str | None = None, content_type="application/json"):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(
            "/api/v1" + path, data, content_type=content_type, headers=self._headers(token)
        )


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def as_role(client, tokens):
    return lambda role: Api(client, tokens[role])
