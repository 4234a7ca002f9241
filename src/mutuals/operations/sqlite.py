"""How each SQLite connection starts: 16 KiB pages, the write-ahead log, and syncing to match.

Every connection asks for WAL, in which readers never wait for a writer. A big returns import
may hold the database in a rollback journal for its length instead (it writes each new page
once rather than twice: see :func:`mutuals.returns.loading.bulk_journal`), and while it does,
asking for WAL fails at once with "database is locked". A connection opened then works in
the rollback journal, reading what was committed before the import, and syncs every commit
in full, as a rollback journal needs to survive a power cut; it moves to WAL by itself
as soon as the import puts WAL back.
"""

from __future__ import annotations

import sqlite3

PAGE_SIZE = 16384


def prepare(sender, connection, **_) -> None:
    """Receiver of Django's ``connection_created``: set up a new SQLite connection."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    # 16 KiB pages, set only as a new database is made (before WAL): the big reads and bulk
    # imports of returns touch a quarter as many pages as with SQLite's default 4 KiB.
    raw.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    raw.execute("PRAGMA synchronous = NORMAL" if wal(raw) else "PRAGMA synchronous = FULL")


def wal(raw: sqlite3.Connection) -> bool:
    """Put the database in WAL if it is not; whether it is now (False while a bulk import
    holds it in a rollback journal, or for a database in memory)."""
    try:
        (mode,) = raw.execute("PRAGMA main.journal_mode = WAL").fetchone()
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    return mode == "wal"
