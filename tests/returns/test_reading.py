"""Bulk reads into polars give the same frame as the ORM, on every path."""

from __future__ import annotations

import sqlite3

import polars as pl
import pytest
from django.db import connection

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


def test_the_sqlite_bulk_path_reads_what_the_row_interface_reads(tmp_path, monkeypatch):
    path = tmp_path / "read.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE t (organisation_id INTEGER, metric_id INTEGER, period TEXT, value REAL)"
        )
        rows = [(i % 7, i % 3, f"20{10 + i % 9}-Q{1 + i % 4}", i / 4) for i in range(1000)]
        db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    monkeypatch.setitem(connection.settings_dict, "NAME", str(path))
    sql = "SELECT organisation_id, metric_id, period, value FROM t WHERE metric_id = %s ORDER BY rowid"
    frame = reading._adbc_sqlite(sql, [2], SCHEMA)
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.rows() == [r for r in rows if r[1] == 2]
    assert reading._adbc_sqlite(sql, [9], SCHEMA).height == 0
