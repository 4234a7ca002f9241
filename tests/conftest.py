"""Suite-wide set-up.

The suite runs once on SQLite and, when MUTUALS_TEST_DATABASE=postgres, the
database tests run again on PostgreSQL (scripts/run-tests does both; CI sets
MUTUALS_TEST_POSTGRES_URL so the second pass cannot be skipped).
"""

from __future__ import annotations

import os

import pytest

ON_POSTGRES = os.environ.get("MUTUALS_TEST_DATABASE") == "postgres"


def pytest_collection_modifyitems(config, items):
    if not ON_POSTGRES:
        return
    keep, drop = [], []
    for item in items:
        uses_db = "django_db_setup" in item.fixturenames or item.get_closest_marker("django_db")
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def _database_is_the_one_asked_for(django_db_blocker):
    """Fail, never skip, when the PostgreSQL pass would silently use SQLite."""
    if ON_POSTGRES:
        from django.db import connection

        assert connection.vendor == "postgresql", "DATABASE_URL does not name PostgreSQL"
