"""The busiest pages keep what they show (:mod:`mutuals.web.kept`): what each keeps is
made only from tables the data-generation token watches (or the returns, which have their
own version), and a page served from what was kept for one person is exactly the page made
afresh for another with the same roles, and never one made for different roles."""

from __future__ import annotations

import re
from functools import cache

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mutuals.accounts.models import Role
from mutuals.contracts.models import Contract
from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.evaluation.models import EvaluationRun
from mutuals.evaluation.services import EvaluationConfig, create_run, execute
from mutuals.operations import generation
from mutuals.registry.models import Organisation
from mutuals.web import kept
from mutuals.web.views.open_data import FORMATS, TABLES

# Read by kept values without the token: the returns carry a version of their own, and a
# survey's answers are fixed once it closes (it takes no more), and only a closed survey's
# scores are shown (by its row, which the token watches).
RETURNS = {"returns_observation", "returns_returnssummary", "returns_submission"}
FROZEN = {"engagement_response"}


@cache
def small_world():
    return build_world("small", seed=2011)


@pytest.fixture
def demo(db):
    load_world(small_world())
    django_cache.clear()
    kept.forget_in_memory()
    execute(create_run(EvaluationConfig(programmes=("right-to-request",))))


def _signed_in(role: str, organisation: Organisation | None = None) -> Client:
    name = f"{role}-{organisation.pk if organisation else 'all'}@example.org"
    user = get_user_model().objects.create_user(username=name)
    Role.objects.create(user=user, role=role, organisation=organisation)
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:
    """The page without what differs on every response (CSP nonces, CSRF tokens)."""
    assert response.status_code in (200, 400), response.status_code
    text = response.content.decode()
    return re.sub(r'(nonce|value)="[A-Za-z0-9_\-+/=]{16,}"', "", text)


def _paths() -> list[str]:
    spin_out = Organisation.objects.filter(kind="provider", spinout_date__isnull=False).first()
    run = EvaluationRun.objects.filter(status="done").order_by("-pk").first()
    return [
        "/portfolio/",
        "/portfolio/?as_of=2015-Q1",
        "/portfolio/?as_of=nonsense",
        f"/organisations/{spin_out.pk}/scorecard/",
        f"/organisations/{spin_out.pk}/",
        f"/evaluation/{run.pk}/",
        f"/evaluation/{run.pk}/?method=did&verdict=",
        "/contracts/",
        "/contracts/?sort=value&order=desc&page=2",
        "/contracts/?status=sideways&q=trust",
        f"/contracts/?commissioner={spin_out.pk}",
    ]


def _tables(queries) -> set[str]:
    known = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    read = set()
    for query in queries:
        read |= {name for name in re.findall(r'"(\w+)"', query["sql"]) if name in known}
    return read


def test_what_pages_keep_is_made_only_from_watched_tables(demo, monkeypatch):
    read: dict[str, set[str]] = {}

    def watched(name, make):
        with CaptureQueriesContext(connection) as queries:
            value = make()
        read.setdefault(name, set()).update(_tables(queries.captured_queries))
        return value

    monkeypatch.setattr(kept, "_made", watched)
    client = _signed_in("auditor")
    for path in _paths():
        _page(client.get(path))
    for name in TABLES:  # open data, the same for everyone
        for format_ in FORMATS:
            assert client.get(f"/open-data/{name}.{format_}").status_code == 200
    assert client.get("/open-data/contracts.ocds.json").status_code == 200
    made = {"portfolio", "portfolio-figures", "scorecard", "evaluation-run", "contracts"}
    made |= {"organisation", "monitoring", "staff-control", "open-data"}
    assert made <= set(read), sorted(read)
    allowed = set(generation.tracked_tables()) | RETURNS | FROZEN | {generation.TABLE}
    unwatched = {
        name: sorted(tables - allowed) for name, tables in read.items() if tables - allowed
    }
    assert not unwatched, (
        f"kept values read tables the token does not watch: {unwatched}; add their models to "
        "mutuals.operations.generation.TRACKED, or leave them out of what is kept"
    )


def test_a_kept_page_is_the_page_made_afresh_for_each_role(demo):
    contract = Contract.objects.select_related("provider").order_by("pk").first()
    commissioners = list(Organisation.objects.filter(kind="commissioner").order_by("pk")[:2])
    clients = {
        "auditor": _signed_in("auditor"),
        "commissioner A": _signed_in("commissioner", commissioners[0]),
        "commissioner B": _signed_in("commissioner", commissioners[1]),
        "provider manager": _signed_in("provider_manager", contract.provider),
        "staff": _signed_in("provider_staff", contract.provider),
    }
    paths = _paths()
    afresh = {}
    for who, client in clients.items():
        for path in paths:
            django_cache.clear()
            kept.forget_in_memory()
            response = client.get(path)
            afresh[who, path] = (
                response.status_code,
                _page(response) if response.status_code in (200, 400) else "",
            )
    # Now with everything kept, each role in turn after the others.
    for who, client in [*clients.items(), *reversed(clients.items())]:
        for path in paths:
            response = client.get(path)
            got = (
                response.status_code,
                _page(response) if response.status_code in (200, 400) else "",
            )
            assert got == afresh[who, path], f"{path} for the {who} differs once kept"
    # The roles really do see different pages, so the comparison means something.
    assert afresh["auditor", "/contracts/"] != afresh["commissioner A", "/contracts/"]


def test_only_the_choices_a_page_offers_are_kept(demo, monkeypatch):
    """Free text and refused values are made live: no one can fill the cache with
    variants of a page."""
    made = []
    monkeypatch.setattr(kept, "_made", lambda name, make: (made.append(name), make())[1])
    client = _signed_in("auditor")
    run = EvaluationRun.objects.filter(status="done").order_by("-pk").first()
    for path in (
        "/contracts/?q=trust",
        "/contracts/?status=sideways",
        "/contracts/?page=999999",
        f"/evaluation/{run.pk}/?verdict=nonsense",
    ):
        assert client.get(path).status_code == 200
    assert "contracts" not in made and "evaluation-run" not in made
    for path in ("/contracts/?status=terminated&page=1", f"/evaluation/{run.pk}/?method=did"):
        assert client.get(path).status_code == 200
    assert {"contracts", "evaluation-run"} <= set(made)
    # A parameter the page does not read changes nothing, and is not repeated in its links.
    made.clear()
    plain = _page(client.get("/contracts/?status=terminated&page=1"))
    assert _page(client.get("/contracts/?status=terminated&page=1&utm=x")) == plain
    assert made == [] and "utm" not in plain


def test_open_data_is_kept_until_its_data_changes(demo, client):
    first = client.get("/open-data/contracts.csv").content
    assert client.get("/open-data/contracts.csv").content == first
    contract = Contract.objects.order_by("pk").first()
    Contract.objects.filter(pk=contract.pk).update(title="A retitled contract")
    assert b"A retitled contract" in client.get("/open-data/contracts.csv").content


def test_a_write_to_a_watched_table_shows_on_the_next_kept_page(demo):
    client = _signed_in("auditor")
    run = EvaluationRun.objects.filter(status="done").order_by("-pk").first()
    path = f"/evaluation/{run.pk}/"
    first = _page(client.get(path))
    assert _page(client.get(path)) == first
    result = run.results.order_by("pk").first()
    assert result is not None, "the run has results to show"
    result.programme.name = "A renamed programme"
    result.programme.save()
    assert "A renamed programme" in _page(client.get(path))

    contracts = _page(client.get("/contracts/"))
    contract = Contract.objects.order_by("pk").first()
    Contract.objects.filter(pk=contract.pk).update(title="A retitled contract")
    assert _page(client.get("/contracts/")) != contracts
