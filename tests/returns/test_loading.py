"""The bulk load: one transaction, versions kept, the same rows however it is reached.

On SQLite a load that owns its transaction stages the rows through ADBC in a
scratch database; one inside a caller's transaction stages them in a temporary
table. These tests run outside pytest-django's wrapping transaction so that
the first path is the one taken.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import threading
from datetime import date

import polars as pl
import pytest
from django.db import connection, transaction

from mutuals.returns import loading
from mutuals.returns.loading import bulk_load, load_observations
from mutuals.returns.models import Observation, Submission, SubmissionOrganisation

CARRIED = importlib.import_module(
    "mutuals.returns.migrations.0005_submission_organisations"
).CARRIED

SCHEMA = {
    "organisation_id": pl.Int64,
    "metric_id": pl.Int64,
    "period": pl.Utf8,
    "period_start": pl.Date,
    "period_kind": pl.Utf8,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
}
Q2, Q3 = ("2011-Q2", date(2011, 4, 1), "quarter"), ("2011-Q3", date(2011, 7, 1), "quarter")
SUBMISSIONS = [
    [
        ("care", "patient-experience", "2011-06", date(2011, 6, 1), "month", 80.0, 40.0, 50.0),
        ("health", "sickness-absence", *Q3, 3.25, None, None),
        ("health", "sickness-absence", *Q2, 0.1 + 0.2, None, None),
    ],
    [
        ("health", "sickness-absence", *Q2, 3.5, None, None),
        ("health", "operating-margin", "2011/12", date(2011, 4, 1), "year", -1.5, None, None),
    ],
    [("health", "sickness-absence", *Q2, 3.0, None, None)],
]


def frame(catalogue, rows):
    return pl.DataFrame(
        [(catalogue[org].pk, catalogue[metric].pk, *rest) for org, metric, *rest in rows],
        schema=SCHEMA,
        orient="row",
    )


def stored():
    return sorted(
        Observation.objects.values_list(
            "organisation__name",
            "metric__code",
            "period",
            "period_start",
            "period_kind",
            "value",
            "numerator",
            "denominator",
            "version",
            "is_current",
            "submission__row_count",
        )
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows_per_part", [250_000, 1], ids=["one part", "a part per core"])
def test_staged_and_in_transaction_loads_store_the_same_rows(catalogue, monkeypatch, rows_per_part):
    monkeypatch.setattr(loading, "_ROWS_PER_PART", rows_per_part)
    scratch_writes = []
    write_scratch = loading._write_scratch
    monkeypatch.setattr(
        loading, "_write_scratch", lambda *args: scratch_writes.append(write_scratch(*args))
    )
    staged = [
        load_observations(frame(catalogue, rows), source="cli").new_versions for rows in SUBMISSIONS
    ]
    rows_staged = stored()
    Observation.objects.all().delete()
    Submission.objects.all().delete()
    with transaction.atomic():
        in_transaction = [
            load_observations(frame(catalogue, rows), source="cli").new_versions
            for rows in SUBMISSIONS
        ]

    parts = [max(1, min(loading._MOST_PARTS, len(rows) // rows_per_part)) for rows in SUBMISSIONS]
    assert len(scratch_writes) == (sum(parts) if connection.vendor == "sqlite" else 0)
    assert staged == in_transaction == [0, 1, 1]
    assert stored() == rows_staged
    q2 = [row[5:] for row in rows_staged if row[1:3] == ("sickness-absence", "2011-Q2")]
    assert q2 == [
        (0.1 + 0.2, None, None, 1, False, 3),
        (3.0, None, None, 3, True, 1),
        (3.5, None, None, 2, False, 2),
    ]
    care = next(row for row in rows_staged if row[1] == "patient-experience")
    assert care[2:] == ("2011-06", date(2011, 6, 1), "month", 80.0, 40.0, 50.0, 1, True, 3)


@pytest.mark.django_db(transaction=True)
def test_an_error_before_the_commit_undoes_the_whole_load(catalogue, monkeypatch):
    monkeypatch.setattr(loading, "_ROWS_PER_PART", 1)
    load_observations(frame(catalogue, SUBMISSIONS[0]), source="cli")
    before = stored()

    with (
        pytest.raises(RuntimeError),
        bulk_load(frame(catalogue, SUBMISSIONS[1]), source="cli") as result,
    ):
        assert result.new_versions == 1
        raise RuntimeError("the audit record could not be written")

    assert stored() == before
    assert Submission.objects.count() == 1
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA database_list")
            attached = [row[1] for row in cursor.fetchall()]
        assert not [name for name in attached if name.startswith("mutuals_staging")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.sqlite_only
@pytest.mark.parametrize("caller_transaction", [False, True], ids=["staged", "in transaction"])
def test_a_period_with_two_starts_is_refused_and_nothing_is_written(catalogue, caller_transaction):
    """SQLite stages a period once for the whole load, by number: a label that comes with two
    starts (or kinds) cannot be, and is refused rather than stored with either."""
    rows = [
        ("health", "sickness-absence", *Q2, 3.0, None, None),
        ("care", "sickness-absence", "2011-Q2", date(2011, 5, 1), "quarter", 4.0, None, None),
    ]
    with (
        transaction.atomic() if caller_transaction else contextlib.nullcontext(),
        pytest.raises(ValueError, match="the period 2011-Q2 comes with more than one start"),
    ):
        load_observations(frame(catalogue, rows), source="cli")
    assert not Observation.objects.exists() and not Submission.objects.exists()


def test_a_staged_row_carries_its_period_as_a_number():
    rows = pl.DataFrame(
        [(1, 5, "2011-Q2", 3.0, None, None), (2, 5, "2010-Q4", 1.0, 2.0, 4.0)],
        schema={name: SCHEMA[name] for name in loading._GATHERED},
        orient="row",
    )
    staged = loading._staged(rows, pl.Series(["2010-Q4", "2011-Q2"]))
    assert staged.columns == list(loading._STAGED)
    assert staged.rows() == [(1, 5, 1, 3.0, None, None), (2, 5, 0, 1.0, 2.0, 4.0)]


def test_rows_are_put_in_the_order_of_the_unique_indexes():
    shuffled = pl.DataFrame(
        {
            "organisation_id": [3, 1, 2, 1, 3, 1],
            "metric_id": [7, 7, 5, 5, 5, 7],
            "period": ["2011-Q2", "2011-Q2", "2011-06", "2011/12", "2011-Q1", "2010-Q4"],
        }
    )
    ordered = loading._in_index_order(shuffled)
    assert ordered.equals(shuffled.sort("organisation_id", "metric_id", "period"))


def test_rows_already_in_index_order_are_left_as_they_are():
    ordered = pl.DataFrame(
        {
            "organisation_id": [1, 1, 1, 2, 3],
            "metric_id": [5, 7, 7, 5, 5],
            "period": ["2011/12", "2010-Q4", "2011-Q2", "2011-06", "2011-Q1"],
        }
    )
    assert loading._in_index_order(ordered) is ordered


@pytest.fixture
def stalled_writers(monkeypatch):
    """Background writers that never write: the loader must write every slice itself. Were
    it to wait for one instead, that slice is failed after 30 s, so the test fails rather
    than hangs."""
    given: list = []
    monkeypatch.setattr(loading, "_write_in_order", given.append)

    def fail_what_is_still_waited_for() -> None:
        for piece in (piece for slices in given for piece in slices):
            if not piece.done.done():
                piece.done.set_exception(TimeoutError("the loader waited for a stalled writer"))

    timer = threading.Timer(30, fail_what_is_still_waited_for)
    timer.start()
    yield
    timer.cancel()


@pytest.mark.django_db(transaction=True)
@pytest.mark.sqlite_only
@pytest.mark.parametrize("writer", ["background", "loader"])
def test_a_slice_that_fails_to_be_written_undoes_the_slices_before_it(
    catalogue, monkeypatch, request, writer
):
    """Whichever thread writes the failing slice (a background writer, or the loader itself
    while it would otherwise wait), the load is undone and its scratch files detached."""
    monkeypatch.setattr(loading, "_ROWS_PER_PART", 1)
    if writer == "loader":
        request.getfixturevalue("stalled_writers")
    write_scratch = loading._write_scratch
    written = []

    def fail_on_the_second(path, rows):
        if written:
            raise OSError("no space left on device")
        written.append(write_scratch(path, rows))

    monkeypatch.setattr(loading, "_write_scratch", fail_on_the_second)
    with pytest.raises(OSError, match="no space"):
        load_observations(frame(catalogue, SUBMISSIONS[0]), source="cli")

    assert written and not Observation.objects.exists() and not Submission.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        attached = [row[1] for row in cursor.fetchall()]
    assert not [name for name in attached if name.startswith("mutuals_staging")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.sqlite_only
def test_the_loader_writes_the_slices_no_writer_has_started(
    catalogue, monkeypatch, stalled_writers
):
    """With its background writers stalled, the loader writes every slice itself, the one
    it waits for first: the same rows, and no wait for a writer that never comes."""
    monkeypatch.setattr(loading, "_ROWS_PER_PART", 1)
    writers = []
    write_part = loading._write_part

    def noted(*args):
        writers.append(threading.current_thread())
        write_part(*args)

    monkeypatch.setattr(loading, "_write_part", noted)
    load_observations(frame(catalogue, SUBMISSIONS[0]), source="cli")
    assert writers == [threading.main_thread()] * 3
    names = {"health": catalogue["health"].name, "care": catalogue["care"].name}
    assert stored() == sorted((names[org], *rest, 1, True, 3) for org, *rest in SUBMISSIONS[0])


@pytest.mark.django_db(transaction=True)
def test_more_slices_than_sqlite_attaches_at_once(catalogue, monkeypatch):
    """SQLite attaches at most 10 databases; a load of many slices' worth still goes in."""
    monkeypatch.setattr(loading, "_ROWS_PER_PART", 1)
    rows = [
        ("health", "sickness-absence", f"20{10 + n}-Q1", date(2010 + n, 1, 1), "quarter", n, None, None)
        for n in range(14)
    ]  # fmt: skip
    assert load_observations(frame(catalogue, rows), source="cli").inserted == 14
    assert Observation.objects.count() == 14


def test_a_repeated_key_is_refused_before_anything_is_written():
    repeated = pl.DataFrame(
        {
            "organisation_id": [2, 1, 2],
            "metric_id": [5, 5, 5],
            "period": ["2011-Q1", "2011-Q1", "2011-Q1"],
        }
    )
    with pytest.raises(
        ValueError, match="1 rows repeat .* organisation 2, metric 5, period 2011-Q1"
    ):
        loading._in_index_order(repeated)


@pytest.mark.django_db(transaction=True)
@pytest.mark.sqlite_only
def test_scratch_files_live_in_the_data_folder_and_a_killed_loads_are_cleared(
    catalogue, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    left = tmp_path / "scratch" / "load-999999999-abc"  # no such process
    left.mkdir(parents=True)
    (left / "mutuals_staging_0.sqlite3").write_bytes(b"returns of a killed load")
    seen = []
    write_scratch = loading._write_scratch

    def noting(path, rows):
        seen.append(path)
        return write_scratch(path, rows)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "_write_scratch", noting)
        load_observations(frame(catalogue, SUBMISSIONS[0]), source="cli")
    assert not left.exists()
    assert seen and all(path.parent.parent == tmp_path / "scratch" for path in seen)
    assert list((tmp_path / "scratch").iterdir()) == []


@pytest.mark.parametrize("rows", [0, 1, 249_999, 500_000, 2_371_379, 10_000_000])
def test_a_load_is_cut_into_parts_each_a_fifth_bigger(rows):
    offsets = loading._part_offsets(rows)
    sizes = [end - start for start, end in itertools.pairwise(offsets)]
    assert offsets[0] == 0 and offsets[-1] == rows and sum(sizes) == rows
    assert 1 <= len(sizes) <= loading._MOST_PARTS
    assert len(sizes) == max(1, min(loading._MOST_PARTS, rows // loading._ROWS_PER_PART))
    for earlier, later in itertools.pairwise(sizes):
        assert later == pytest.approx(earlier * loading._GROWTH, abs=2)  # each end rounded


@pytest.mark.django_db(transaction=True)
def test_a_submission_notes_the_organisations_it_carried(catalogue):
    results = [load_observations(frame(catalogue, rows), source="cli") for rows in SUBMISSIONS]
    ids = [result.submission_id for result in results]
    health, care = catalogue["health"].pk, catalogue["care"].pk
    # The load's result names them too, each once and in order, for the import's audit
    # record and its signal.
    assert results[0].organisation_ids == tuple(sorted({health, care}))
    assert results[1].organisation_ids == results[2].organisation_ids == (health,)

    def carried():
        return sorted(
            SubmissionOrganisation.objects.values_list("submission_id", "organisation__name")
        )

    health, care = catalogue["health"].name, catalogue["care"].name
    assert carried() == sorted(
        [(ids[0], health), (ids[0], care), (ids[1], health), (ids[2], health)]
    )
    # The migration that made the table found the same from the returns themselves.
    noted = carried()
    SubmissionOrganisation.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(CARRIED)
    assert carried() == noted
