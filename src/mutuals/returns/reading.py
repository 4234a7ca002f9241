"""Reading millions of observations into polars.

Monitoring and evaluation read every current observation. Each database has its bulk
path:

* PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed by polars, on Django's own
  connection (so it sees the caller's transaction);
* SQLite: the sqlite3 module's rows on Django's own connection, a slice at a time, each
  slice made into a frame by polars (in Rust, from the row tuples), so a read never holds
  more than one slice of Python objects. A caller reading the whole portfolio outside a
  transaction asks for ``bulk``: the query then runs in a child process through the ADBC
  driver (:mod:`mutuals.returns.sqlite_reader`), which hands Arrow columns straight from
  C, in about 1.7 seconds for the national world's 2.4 million rows against 4 this way.

SQLite is never read here through a second SQLite library in this process: the two
copies would not see each other's POSIX locks, and closing one's file releases the
other's. Measured with the ADBC driver in-process, most reads made right after a commit
on Django's connection returned the database as it was before that commit (see
``tests/returns/test_reading.py``); in a process of its own it reads like any other.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import polars as pl
from django.db import connection
from django.db.models import QuerySet

_SLICE_ROWS = 200_000
log = logging.getLogger(__name__)


def read_queryset(
    queryset: QuerySet, schema: dict[str, pl.DataType], *, bulk: bool = False
) -> pl.DataFrame:
    """A ``values_list`` queryset's rows as a frame with ``schema``'s names and types."""
    sql, params = queryset.query.sql_with_params()
    return read_frame(sql, params, schema, bulk=bulk)


def read_frame(
    sql: str, params, schema: dict[str, pl.DataType], *, bulk: bool = False
) -> pl.DataFrame:
    """Run ``sql`` (Django's ``%s`` placeholders) and return its rows as a frame.

    ``bulk``: the read is of millions of rows, worth starting a process for on SQLite
    (used only outside a transaction, as the child sees committed rows only).
    """
    if connection.vendor == "postgresql":
        return _copy_postgres(sql, params, schema)
    if bulk and _own_process_can_read():
        frame = _child_sqlite(sql, params, schema)
        if frame is not None:
            return frame
    return _rows(sql, params, schema)


def _own_process_can_read() -> bool:
    name = str(connection.settings_dict["NAME"])
    memory = name == ":memory:" or name.startswith("file:") or "mode=memory" in name
    return connection.vendor == "sqlite" and not connection.in_atomic_block and not memory


def _child_sqlite(sql: str, params, schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    """The rows read by :mod:`mutuals.returns.sqlite_reader` in a child process, or None
    (logged) if it fails, so the caller reads them the slower way."""
    request = json.dumps({"sql": sql.replace("%s", "?"), "params": list(params)})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mutuals.returns.sqlite_reader",
            str(connection.settings_dict["NAME"]),
        ],
        input=request.encode(),
        capture_output=True,
    )
    if done.returncode:
        log.warning("The SQLite bulk reader failed; reading rows instead: %s", done.stderr[-2000:])
        return None
    frame = pl.read_ipc_stream(io.BytesIO(done.stdout))
    if frame.width != len(schema):
        return None
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.rename(dict(zip(frame.columns, schema, strict=True))).cast(schema)


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
