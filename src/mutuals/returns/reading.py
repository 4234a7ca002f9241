"""Reading millions of observations into polars without a Python object per value.

Monitoring and evaluation read every current observation. Through the
database driver's usual row interface that costs a Python tuple per row, which
is most of their time on a national portfolio, so :func:`read_frame` takes the
database's own bulk path where there is one:

* PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed by polars, on Django's
  own connection (so it sees the caller's transaction);
* SQLite: the ADBC driver, which returns Arrow columns straight from C. It is a
  second connection, so it is used only outside a transaction — inside one it
  would not see the caller's uncommitted writes — and the row interface is
  used there instead.
"""

from __future__ import annotations

import io

import polars as pl
from django.db import connection
from django.db.models import QuerySet


def read_queryset(queryset: QuerySet, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A ``values_list`` queryset's rows as a frame with ``schema``'s names and types."""
    sql, params = queryset.query.sql_with_params()
    return read_frame(sql, params, schema)


def read_frame(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run ``sql`` (Django's ``%s`` placeholders) and return its rows as a frame."""
    if connection.vendor == "postgresql":
        return _copy_postgres(sql, params, schema)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        frame = _adbc_sqlite(sql, params, schema)
        if frame is not None:
            return frame
    return _rows(sql, params, schema)


def _rows(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return pl.DataFrame(schema=schema)
    columns = list(zip(*rows, strict=True))
    return pl.DataFrame(
        {
            name: pl.Series(name, values, dtype)
            for (name, dtype), values in zip(schema.items(), columns, strict=True)
        }
    )


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


def _adbc_sqlite(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:  # pragma: no cover - a dependency, but optional for reading
        return None
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return None
    with adbc.connect(name) as conn, conn.cursor() as cursor:
        cursor.execute(sql.replace("%s", "?"), list(params))
        table = cursor.fetch_arrow_table()
    if table.num_rows == 0:
        return pl.DataFrame(schema=schema)
    frame = pl.from_arrow(table)
    return frame.rename(dict(zip(frame.columns, schema, strict=True))).cast(schema)
