"""Suite-wide set-up.

The suite runs once on SQLite and, when MUTUALS_TEST_DATABASE=postgres, the
database tests run again on PostgreSQL (scripts/run-tests does both; CI sets
MUTUALS_TEST_POSTGRES_URL so the second pass cannot be skipped).
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django_tasks.signals import clear_tasks_handlers

ON_POSTGRES = os.environ.get("MUTUALS_TEST_DATABASE") == "postgres"

# The test client and the live server speak plain HTTP. Outside DEBUG the settings redirect
# it to HTTPS, so switch that off here, before any request handler is built (pytest-django
# has loaded the settings by the time this file is imported). The deploy check test runs
# `mutuals check --deploy` in a subprocess with the production defaults.
settings.SECURE_SSL_REDIRECT = False
# Parallel test workers must not share (or clear) one another's cache, as the served
# product's processes do through the file cache.
settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Background tasks run at once, in the test's own process and transaction; the queue itself,
# with real workers, is tested by the tests that start them (tests/operations/).
settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The task backends may have been built from the first settings while the apps loaded (any
# module defining a task builds them): rebuild them from these.
clear_tasks_handlers(setting="TASKS")


def pytest_collection_modifyitems(config, items):
    if not ON_POSTGRES:
        return
    keep, drop = [], []
    for item in items:
        uses_db = "django_db_setup" in item.fixturenames or item.get_closest_marker("django_db")
        sqlite_only = item.get_closest_marker("sqlite_only")
        (keep if uses_db and not sqlite_only else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give each test run its own PostgreSQL test database.

    Two runs on one server (a developer's and CI's, say) would otherwise share
    test_test_gw0 and drop it from under each other.
    """
    if not ON_POSTGRES:
        return
    from django.conf import settings

    run = os.environ.get("MUTUALS_TEST_RUN_ID") or str(os.getppid())
    for database in settings.DATABASES.values():
        test = database.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{run}"


@pytest.fixture(scope="session", autouse=True)
def _database_is_the_one_asked_for(django_db_blocker):
    """Fail, never skip, when the PostgreSQL pass would silently use SQLite."""
    if ON_POSTGRES:
        from django.db import connection

        assert connection.vendor == "postgresql", "DATABASE_URL does not name PostgreSQL"


@pytest.fixture(autouse=True)
def _nothing_kept_from_another_test():
    """Pages keep what they show under the data's generation token, which a rolled-back
    test puts back as it found it: start each test with nothing kept from another."""
    from django.core.cache import cache

    from mutuals.web import kept

    cache.clear()
    kept.forget_in_memory()


@pytest.fixture
def loaded_after():
    """``loaded_after(imports, watched)``: which of the ``watched`` modules a fresh process
    has loaded once Django is set up and ``imports`` (module names) are imported: what a
    command or worker pays for at start-up."""
    import json
    import subprocess
    import sys

    def run(imports, watched):
        script = (
            "import importlib, json, sys, django; django.setup()\n"
            f"for name in {list(imports)!r}: importlib.import_module(name)\n"
            f"print(json.dumps([m for m in {list(watched)!r} if m in sys.modules]))\n"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run
