"""The observation table's rules, kept by its one unique index: at most one current version
of an observation, and no two earlier versions with one number, however a row is written."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from mutuals.returns.models import Observation, Submission


def _observation(catalogue, *, version: int, current: bool, period: str = "2011-Q2"):
    submission = Submission.objects.create(source="cli")
    return Observation(
        organisation=catalogue["health"],
        metric=catalogue["sickness-absence"],
        period=period,
        period_start=date(2011, 4, 1),
        period_kind="quarter",
        value=3.0,
        version=version,
        is_current=current,
        submission=submission,
    )


def _refused(observation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        observation.save()


def test_two_current_versions_of_one_observation_are_refused(catalogue):
    _observation(catalogue, version=1, current=True).save()
    _refused(_observation(catalogue, version=2, current=True))


def test_an_earlier_version_number_is_kept_once(catalogue):
    _observation(catalogue, version=1, current=False).save()
    _refused(_observation(catalogue, version=1, current=False))


def test_earlier_versions_sit_beside_the_current_one(catalogue):
    for version in (0, 1, 2):  # 0 too: the check allows it, and the current one is not 0
        _observation(catalogue, version=version, current=False).save()
    _observation(catalogue, version=3, current=True).save()
    _observation(catalogue, version=1, current=True, period="2011-Q3").save()
    assert Observation.objects.filter(is_current=True).count() == 2
    assert Observation.objects.count() == 5


def test_the_rules_hold_for_raw_sql_too(catalogue):
    _observation(catalogue, version=1, current=True).save()
    row = Observation.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Observation._meta.db_table} (organisation_id, metric_id, period, "
            "period_start, period_kind, value, version, is_current, submission_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [row.organisation_id, row.metric_id, row.period, row.period_start, "quarter", 1.0,
             7, True, row.submission_id],
        )  # fmt: skip


def test_lookups_by_organisation_metric_and_period_use_the_index(catalogue):
    _observation(catalogue, version=1, current=True).save()
    sql, params = Observation.objects.filter(
        organisation=catalogue["health"],
        metric=catalogue["sickness-absence"],
        period="2011-Q2",
        is_current=True,
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "one_current_version_and_distinct_versions" in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "one_current_version_and_distinct_versions" in plan, plan
