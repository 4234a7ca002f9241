"""Reading millions of observations into polars.

Monitoring and evaluation read every current observation. Each database is read on
Django's own connection, so a read sees the caller's transaction and takes the
database's locks like any other query:

* PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed by polars;
* SQLite: the sqlite3 module's rows, a slice at a time, each slice made into a frame
  by polars (in Rust, from the row tuples), so a national read never holds more than
  one slice of Python objects.

SQLite is never read here through a second SQLite library in the same process (such as
the ADBC driver's own copy): the two copies would not see each other's POSIX locks, and
closing one's file releases the other's. Measured with the ADBC driver, about half of
the reads made right after a commit on the sqlite3 module's connection returned the
database as it was before that commit (see ``tests/returns/test_reading.py``).
"""

from __future__ import annotations

import io

import polars as pl
from django.db import connection
from django.db.models import QuerySet

_SLICE_ROWS = 200_000


def read_queryset(queryset: QuerySet, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A ``values_list`` queryset's rows as a frame with ``schema``'s names and types."""
    sql, params = queryset.query.sql_with_params()
    return read_frame(sql, params, schema)


def read_frame(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run ``sql`` (Django's ``%s`` placeholders) and return its rows as a frame."""
    if connection.vendor == "postgresql":
        return _copy_postgres(sql, params, schema)
    return _rows(sql, params, schema)


def _rows(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    slices = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_SLICE_ROWS):
            slices.append(pl.DataFrame(rows, schema=schema, orient="row"))
    if not slices:
        return pl.DataFrame(schema=schema)
    return pl.concat(slices, rechunk=True) if len(slices) > 1 else slices[0]


def _copy_postgres(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    buffer = io.BytesIO()
    connection.ensure_connection()
    statement = f"COPY ({sql}) TO STDOUT (FORMAT CSV)"
    with connection.connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.getbuffer().nbytes:
        return pl.DataFrame(schema=schema)
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=schema)
