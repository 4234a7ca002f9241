"""The pages people open first do not read every return: the dashboard and a scorecard make
no query whose plan scans the observations table (SQLite's ``EXPLAIN QUERY PLAN``,
PostgreSQL's ``EXPLAIN`` with sequential scans priced out), and what they show from the
returns' summary equals the same figures worked out directly from the returns."""

from __future__ import annotations

import re
from functools import cache

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mutuals.accounts.models import Role
from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.registry.models import Organisation
from mutuals.reports.content import data_sources
from mutuals.returns import summary as returns_summary
from mutuals.returns.coverage import returns_coverage
from mutuals.returns.models import Observation, ReturnsSummary
from mutuals.returns.services import import_returns

TABLE = Observation._meta.db_table


@cache
def small_world():
    return build_world("small", seed=2011)


@pytest.fixture
def demo(db):
    load_world(small_world())
    django_cache.clear()


@pytest.fixture
def auditor(client, demo):
    user = get_user_model().objects.create_user(username="auditor@example.org")
    Role.objects.create(user=user, role="auditor")
    client.force_login(user)
    return client


def _spin_out() -> Organisation:
    return Organisation.objects.filter(contracts_held__isnull=False).order_by("pk").first()


# --- the plans ---------------------------------------------------------------------------------


def _aliases(sql: str) -> set[str]:
    """The names the observations table goes by in ``sql`` (Django aliases subqueries U0)."""
    found = re.findall(rf'"{TABLE}"\s+(?:AS\s+)?"?(\w+)"?', sql)
    return {TABLE, *(name for name in found if name.upper() not in {"WHERE", "ON", "INNER"})}


def _scans_sqlite(sql: str, params) -> list[str]:
    names = _aliases(sql)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        details = [row[-1] for row in cursor.fetchall()]
    return [d for d in details if d.startswith("SCAN ") and d.split()[1] in names]


def _scans_postgres(sql: str, params) -> list[str]:
    with connection.cursor() as cursor:
        # Priced out for this plan only: on a small test database a sequential scan is
        # often cheapest even where an index serves, which would hide nothing and fail all.
        cursor.execute("SAVEPOINT plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
        cursor.execute("ROLLBACK TO SAVEPOINT plan")
    scans = []
    for number, line in enumerate(lines):
        if f" on {TABLE}" not in line:
            continue
        if "Seq Scan" in line:
            scans.append(line.strip())
            continue
        # An index scan with no condition reads the whole index: a scan by another name.
        following = []
        for later in lines[number + 1 :]:
            if "->" in later:
                break
            following.append(later)
        if not any("Index Cond" in later or "Recheck Cond" in later for later in following):
            scans.append(line.strip())
    return scans


def _observation_scans(path: str, client) -> list[tuple[str, list[str]]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    explain = _scans_postgres if connection.vendor == "postgresql" else _scans_sqlite
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]  # with its values written in: planned as it stands
        planned = TABLE in sql and sql.lstrip().upper().startswith("SELECT")
        if planned and (scans := explain(sql, None)):
            found.append((sql[:200], scans))
    return found


def _pages():
    spin_out = _spin_out()
    return [
        reverse("portfolio"),
        reverse("scorecard", args=[spin_out.pk]),
        reverse("organisation", args=[spin_out.pk]),
    ]


@pytest.mark.slow
def test_the_first_pages_make_no_query_that_scans_the_observations(auditor):
    returns_summary.refresh()  # as the import's task or the demo world's loading does
    for path in _pages():
        auditor.get(path)  # anything a first request does once
        assert _observation_scans(path, auditor) == [], path


@pytest.mark.slow
def test_the_plan_check_would_see_a_scan(auditor, monkeypatch):
    """The check itself: with the summary bypassed, the dashboard scans, and is caught."""

    def direct():
        return returns_summary._read(returns_summary.returns_version())

    monkeypatch.setattr(returns_summary, "current_summary", direct)
    monkeypatch.setattr("mutuals.returns.coverage.current_summary", direct)
    monkeypatch.setattr("mutuals.reports.content.current_summary", direct)
    assert _observation_scans(reverse("portfolio"), auditor) != []


# --- the same answers ----------------------------------------------------------------------


def _direct_data_sources() -> dict:
    current = Observation.objects.filter(is_current=True)
    span = current.aggregate(first=Min("period_start"), last=Max("period_start"))
    return {
        "metrics": current.aggregate(n=Count("metric", distinct=True))["n"],
        "current_observations": current.count(),
        "all_versions": Observation.objects.count(),
        "first_period": span["first"],
        "last_period": span["last"],
    }


def _from_summary() -> dict:
    sources = data_sources()
    return {
        "metrics": sources.metrics,
        "current_observations": sources.current_observations,
        "all_versions": sources.all_versions,
        "first_period": sources.first_period,
        "last_period": sources.last_period,
    }


def test_the_summary_equals_the_returns_worked_out_directly(demo):
    assert ReturnsSummary.objects.get().version == returns_summary.returns_version()
    assert _from_summary() == _direct_data_sources()
    stored = returns_summary.current_summary()
    assert stored == returns_summary._read(stored.version)
    assert returns_coverage() == _coverage_read_directly()


def _coverage_read_directly():
    ReturnsSummary.objects.all().delete()  # so coverage works it out from the returns
    return returns_coverage()


def test_an_import_makes_the_summary_again(demo, tmp_path, django_capture_on_commit_callbacks):
    before = returns_summary.current_summary()
    spin_out = _spin_out()
    code = spin_out.ods_code or spin_out.company_number or spin_out.charity_number
    metric = Observation.objects.filter(organisation=spin_out).values_list(
        "metric__code", flat=True
    )[0]
    path = tmp_path / "later.csv"
    path.write_text(f"organisation,metric,period,value\n{code},{metric},2019-Q4,1\n")
    with django_capture_on_commit_callbacks(execute=True):
        import_returns(path)  # its task runs at once in tests

    stored = ReturnsSummary.objects.get()
    assert stored.version == returns_summary.returns_version() != before.version
    assert _from_summary() == _direct_data_sources()


def test_rows_written_another_way_are_seen_at_the_next_read(demo):
    """Rows written without the import (the admin, a script) change the version, so the
    first reader works the summary out again rather than show the old figures."""
    before = returns_summary.current_summary()
    row = Observation.objects.filter(is_current=True).order_by("pk").first()
    Observation.objects.filter(pk=row.pk).update(is_current=False)
    row.pk, row.version, row.is_current = None, row.version + 1, True
    row.save()
    after = returns_summary.current_summary()
    assert after.version != before.version
    assert after.all_versions == before.all_versions + 1
    assert _from_summary() == _direct_data_sources()
