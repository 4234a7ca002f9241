"""Each SQLite connection starts in WAL with 16 KiB pages, and one opened while a bulk import
holds the database in a rollback journal works in it rather than failing."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from mutuals.operations.sqlite import PAGE_SIZE, prepare


def connect(path) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, timeout=5)
    prepare(None, SimpleNamespace(vendor="sqlite", connection=raw))
    return raw


def test_a_new_database_gets_big_pages_and_the_write_ahead_log(tmp_path):
    raw = connect(tmp_path / "new.sqlite3")
    raw.execute("CREATE TABLE t (x)")
    assert raw.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,)
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert raw.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL: WAL keeps it whole


def test_a_connection_opened_during_a_bulk_load_reads_what_was_committed(tmp_path):
    path = tmp_path / "served.sqlite3"
    loader = connect(path)
    loader.execute("CREATE TABLE t (x)")
    loader.execute("INSERT INTO t VALUES (1)")
    # A bulk load: the rollback journal, then a write transaction not yet committed.
    assert loader.execute("PRAGMA main.journal_mode = DELETE").fetchone() == ("delete",)
    loader.execute("BEGIN")
    loader.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(2, 1001)])

    reader = connect(path)  # asking for WAL fails at once here; it must not raise

    assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert reader.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL, as a journal needs
    loader.execute("COMMIT")
    assert loader.execute("PRAGMA main.journal_mode = WAL").fetchone() == ("wal",)
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    assert connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_database_that_cannot_be_read_is_still_an_error(tmp_path):
    path = tmp_path / "not-a-database.sqlite3"
    path.write_bytes(b"this is not an SQLite file" * 200)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        connect(path)
