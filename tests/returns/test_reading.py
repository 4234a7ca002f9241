"""Bulk reads into polars give the same frame as the ORM, and see every commit before them.

The suite's own SQLite database lives in memory, so the second test runs in a child
process against a file in write-ahead-log mode, as the product does: each round loads a
submission (a resubmission retires the versions before it) and reads the current
observations back through :func:`mutuals.returns.reading.read_queryset`, which must give
what the ORM gives. A reader using a second copy of SQLite in the process (the ADBC
driver's) returned the database as it was before the latest commit in most such rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest

from mutuals.returns import reading
from mutuals.returns.models import CurrentObservation, Observation, Submission

SCHEMA = {
    "organisation_id": pl.Int64,
    "metric_id": pl.Int64,
    "period": pl.String,
    "value": pl.Float64,
}


@pytest.fixture
def world_with_returns(catalogue):
    submission = Submission.objects.create(source="cli")
    Observation.objects.bulk_create(
        Observation(
            organisation=catalogue[org], metric=catalogue[metric], period=f"{year}-Q{q}",
            period_start=f"{year}-{3 * q - 2:02d}-01", period_kind="quarter",
            value=year + q / 10 + (metric == "operating-margin") * -3, submission=submission,
        )
        for org in ("health", "care")
        for metric in ("sickness-absence", "operating-margin")
        for year in (2011, 2012)
        for q in (1, 2, 3, 4)
    )  # fmt: skip
    return catalogue


@pytest.mark.django_db
def test_read_queryset_matches_the_orm(world_with_returns):
    """On PostgreSQL this is the COPY path, inside the test's own transaction."""
    queryset = (
        CurrentObservation.objects.order_by("organisation_id", "metric_id", "period")
        .filter(value__gte=0)
        .values_list(*SCHEMA)
    )
    frame = reading.read_queryset(queryset, SCHEMA)
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.rows() == list(queryset) and frame.height > 0
    empty = reading.read_queryset(queryset.filter(value__lt=-1e9), SCHEMA)
    assert empty.height == 0 and empty.schema == pl.Schema(SCHEMA)


ROUNDS = """
import datetime as dt
import polars as pl
from django.core.management import call_command
from mutuals.registry.models import Organisation
from mutuals.returns.loading import load_observations
from mutuals.returns.models import CurrentObservation, Metric
from mutuals.returns.reading import read_queryset

call_command("migrate", verbosity=0)
organisation = Organisation.objects.create(
    name="Testwick CIC", kind="provider", legal_form="cic_shares",
    company_number="07000001", region="london",
)
metric = Metric.objects.create(code="m1", name="m1", unit="n", direction="higher", domain="quality")
stale = []
for round_ in range(12):
    size = (5_000, 60_000, 300)[round_ % 3]
    frame = pl.DataFrame({
        "organisation_id": [organisation.pk] * size,
        "metric_id": [metric.pk] * size,
        "period": [f"{1000 + n // 12}-{n % 12 + 1:02d}" for n in range(size)],
        "period_start": [dt.date(1000 + n // 12, n % 12 + 1, 1) for n in range(size)],
        "period_kind": ["month"] * size,
        "value": [float(round_)] * size,
        "numerator": [None] * size,
        "denominator": [None] * size,
    }, schema_overrides={"numerator": pl.Float64, "denominator": pl.Float64})
    load_observations(frame, source="cli")
    current = CurrentObservation.objects.filter(metric=metric)
    expected = sorted(current.values_list("period", "value"))
    read = read_queryset(current.values_list("period", "value"), {"period": pl.Utf8, "value": pl.Float64})
    child = read_queryset(
        current.values_list("period", "value"),
        {"period": pl.Utf8, "value": pl.Float64},
        bulk=True,
    )
    if sorted(read.rows()) != expected or sorted(child.rows()) != expected:
        stale.append(round_)
sql, params = current.values_list("period", "value").query.sql_with_params()
from mutuals.returns import reading
assert reading._child_sqlite(sql, params, {"period": pl.Utf8, "value": pl.Float64}) is not None
print("stale rounds:", stale)
assert not stale
"""


@pytest.mark.slow
def test_reads_right_after_loads_see_them(tmp_path):
    env = {
        **os.environ,
        "MUTUALS_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "mutuals.settings",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "mutuals.cli", "shell", "-c", ROUNDS],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stale rounds: []" in done.stdout
