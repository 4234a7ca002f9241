"""The dashboard's figures are kept in the cache under the database's data-generation token:
any write to a table they read changes the token (made by the ORM, in bulk, or in raw
SQL), the figures read no table the token does not watch, and a write shows on the next
dashboard at once."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mutuals.accounts.models import Role
from mutuals.contracts.models import Contract
from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.operations import generation
from mutuals.registry.models import Organisation
from mutuals.reports.runs import latest_full_run
from mutuals.returns.coverage import returns_coverage
from mutuals.web import portfolio_cache


@cache
def small_world():
    return build_world("small", seed=2011)


@pytest.fixture
def demo(db):
    load_world(small_world())
    django_cache.clear()


def test_every_kind_of_write_to_a_watched_table_changes_the_token(db):
    seen = {generation.token()}
    assert None not in seen

    def changed() -> bool:
        token = generation.token()
        fresh = token not in seen
        seen.add(token)
        return fresh

    organisation = Organisation.objects.create(name="Riverside Community Health CIC")
    assert changed()
    Organisation.objects.filter(pk=organisation.pk).update(name="Riverside Health CIC")
    assert changed()
    Organisation.objects.bulk_create([Organisation(name="Hillside Care CIC")])
    assert changed()
    with connection.cursor() as cursor:
        table = Organisation._meta.db_table
        cursor.execute(f"UPDATE {table} SET name = 'Hillside CIC' WHERE name = 'Hillside Care CIC'")
    assert changed()
    Organisation.objects.filter(name="Hillside CIC").delete()
    assert changed()
    assert generation.token() == generation.token()  # reading changes nothing


def test_every_watched_table_has_its_trigger(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = %s",
                [generation.PREFIX],
            )
        else:
            cursor.execute("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'")
        watched = {row[0] for row in cursor.fetchall()}
    assert set(generation.tracked_tables()) <= watched


# Tables the figures may read without the token watching them: the returns (watched by
# their own version), the token itself, and what every signed-in request reads.
UNWATCHED = {"returns_observation", "returns_returnssummary", "returns_submission"}


def _tables_read(queries) -> set[str]:
    known = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    read = set()
    for query in queries:
        read |= {name for name in re.findall(r'"(\w+)"', query["sql"]) if name in known}
    return read


def test_the_figures_read_only_tables_the_token_watches(demo):
    coverage = returns_coverage()
    with CaptureQueriesContext(connection) as queries:
        portfolio_cache._made(latest_full_run(), None, coverage)
    unwatched = _tables_read(queries.captured_queries) - set(generation.tracked_tables())
    assert unwatched <= UNWATCHED, (
        f"the portfolio figures read {sorted(unwatched - UNWATCHED)}: add their models to "
        "mutuals.operations.generation.TRACKED"
    )


def _page(response) -> str:
    """The page without what differs on every response (CSP nonces, CSRF tokens)."""
    text = response.content.decode()
    return re.sub(r'(nonce|value)="[A-Za-z0-9_\-+/=]{16,}"', "", text)


def test_a_write_shows_on_the_next_dashboard(demo, client):
    user = get_user_model().objects.create_user(username="auditor@example.org")
    Role.objects.create(user=user, role="auditor")
    client.force_login(user)
    url = reverse("portfolio")

    first = _page(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        again = _page(client.get(url))
    assert again == first
    assert len(queries.captured_queries) < 20  # the figures came from the cache

    contract = Contract.objects.order_by("-annual_value").first()
    Contract.objects.filter(pk=contract.pk).update(annual_value=contract.annual_value * 3)
    assert _page(client.get(url)) != first
    Contract.objects.filter(pk=contract.pk).update(annual_value=Decimal(contract.annual_value))
    assert _page(client.get(url)) == first
