"""A child process that reads one query from an SQLite file and writes the rows as Arrow.

    python -m mutuals.returns.sqlite_reader DATABASE  <  {"sql": "...", "params": [...]}

The ADBC driver returns rows as Arrow columns straight from C, several times faster
than the sqlite3 module's tuples, but it carries its own copy of SQLite, and two copies
in one process do not see each other's locks (see :mod:`mutuals.returns.reading`). In a
process of its own it is just another reader of the database, locking like any other.
Nothing here imports Django, so the process starts in a fraction of a second.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import polars as pl

    database = sys.argv[1]
    request = json.load(sys.stdin)
    with (
        adbc_driver_sqlite.connect(database) as opened,
        adbc.AdbcConnection(opened) as connection,
        adbc.AdbcStatement(connection) as statement,
    ):
        statement.set_sql_query(request["sql"])
        if request["params"]:
            names = [f"p{n}" for n in range(len(request["params"]))]
            bound = pl.DataFrame([request["params"]], schema=names, orient="row")
            statement.bind_stream(bound.__arrow_c_stream__())
        stream, _ = statement.execute_query()
        frame = pl.DataFrame(_Stream(stream))
    frame.write_ipc_stream(sys.stdout.buffer)


class _Stream:
    """ADBC's result stream, offered to polars through the Arrow PyCapsule protocol."""

    def __init__(self, handle):
        self.handle = handle

    def __arrow_c_stream__(self, requested_schema=None):
        return self.handle.__arrow_c_stream__(requested_schema)


if __name__ == "__main__":
    main()
