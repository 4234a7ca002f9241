"""Writing validated observations to the database, fast and all at once.

The importer, the API and the demo generator all end here. A load is one
transaction: it records a :class:`Submission`, retires the current version of
every observation it resubmits and inserts the new versions. A process killed
midway leaves the database as it was.

Rows are written with the database driver's bulk path (``executemany`` on
SQLite, ``COPY`` on PostgreSQL) rather than through the ORM: a national
world's returns run to millions of rows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
from django.db import connection, transaction

from mutuals.returns.models import Observation, Submission

COLUMNS = (
    "organisation_id",
    "metric_id",
    "period",
    "period_start",
    "period_kind",
    "value",
    "numerator",
    "denominator",
)
_CHUNK = 500


@dataclass(frozen=True)
class LoadResult:
    submission_id: int
    inserted: int
    new_versions: int


def load_observations(
    frame: pl.DataFrame, *, source: str, filename: str = "", user=None
) -> LoadResult:
    """Insert ``frame`` (columns :data:`COLUMNS`, already validated) as one submission."""
    frame = frame.select(COLUMNS).sort("organisation_id", "metric_id", "period")
    with transaction.atomic():
        submission = Submission.objects.create(
            source=source, filename=filename[:255], submitted_by=user, row_count=frame.height
        )
        previous = _current_versions(frame)
        frame = _with_versions(frame, previous)
        _retire(previous["id"].to_list())
        _insert(frame.with_columns(pl.lit(submission.pk).alias("submission_id")))
    return LoadResult(submission.pk, frame.height, previous.height)


def _current_versions(frame: pl.DataFrame) -> pl.DataFrame:
    """The current rows that ``frame`` resubmits: id, key and version."""
    schema = {
        "id": pl.Int64,
        "organisation_id": pl.Int64,
        "metric_id": pl.Int64,
        "period": pl.Utf8,
        "version": pl.Int64,
    }
    organisations = frame["organisation_id"].unique().sort().to_list()
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(organisations), _CHUNK):
            chunk = organisations[start : start + _CHUNK]
            placeholders = ",".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT id, organisation_id, metric_id, period, version "
                f"FROM {Observation._meta.db_table} "
                f"WHERE is_current AND organisation_id IN ({placeholders})",
                chunk,
            )
            rows.extend(cursor.fetchall())
    existing = pl.DataFrame(rows, schema=schema, orient="row")
    keys = frame.select("organisation_id", "metric_id", "period").cast(
        {"organisation_id": pl.Int64, "metric_id": pl.Int64}
    )
    return existing.join(keys, on=["organisation_id", "metric_id", "period"], how="semi")


def _with_versions(frame: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    bumped = previous.select(
        "organisation_id", "metric_id", "period", (pl.col("version") + 1).alias("version")
    )
    return (
        frame.cast({"organisation_id": pl.Int64, "metric_id": pl.Int64})
        .join(bumped, on=["organisation_id", "metric_id", "period"], how="left")
        .with_columns(pl.col("version").fill_null(1), pl.lit(True).alias("is_current"))
    )


def _retire(ids: list[int]) -> None:
    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            placeholders = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET is_current = %s WHERE id IN ({placeholders})",
                [False, *chunk],
            )


_INSERT_COLUMNS = (*COLUMNS, "version", "is_current", "submission_id")


def _insert(frame: pl.DataFrame) -> None:
    frame = frame.select(_INSERT_COLUMNS)
    if connection.vendor == "postgresql":
        _copy_postgres(frame)
    else:
        _executemany(frame)


def _executemany(frame: pl.DataFrame) -> None:
    """Insert through the raw sqlite3 cursor, binding only the columns that vary.

    Binding parameters dominates the cost of a large SQLite insert, so columns
    holding one value for the whole load (always the submission and the current
    flag, usually the version, the kind of period and the empty numerator and
    denominator) are written into the statement as literals. Only integers,
    NULL and the fixed period kinds are ever inlined.
    """
    table = Observation._meta.db_table
    bound, values = [], []
    for name in _INSERT_COLUMNS:
        literal = _constant_literal(frame[name])
        values.append(literal or "?")
        if literal is None:
            bound.append(name)
    sql = f"INSERT INTO {table} ({','.join(_INSERT_COLUMNS)}) VALUES ({','.join(values)})"
    columns = [
        frame[name].cast(pl.Utf8) if name == "period_start" else frame[name] for name in bound
    ]
    rows = zip(*(column.to_list() for column in columns), strict=True)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB for this connection's big write
        # Django's cursor wrapper would rewrite placeholders for every row; the raw
        # sqlite3 cursor takes the iterator directly.
        cursor.cursor.executemany(sql, rows)


_PERIOD_KINDS = {"quarter", "month", "year"}


def _constant_literal(column: pl.Series) -> str | None:
    if column.n_unique() != 1:
        return None
    value = column[0]
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str) and value in _PERIOD_KINDS:
        return f"'{value}'"
    return None


def _copy_postgres(frame: pl.DataFrame) -> None:
    table = Observation._meta.db_table
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="")
    buffer.seek(0)
    with connection.cursor() as cursor:
        copy_sql = (
            f"COPY {table} ({','.join(_INSERT_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '')"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            while block := buffer.read(1 << 20):
                copy.write(block)
