"""Backing the database up and restoring it, with each database's own tools.

SQLite: SQLite's online backup (the same pages a reader sees, consistent while the site
keeps running), into a single file; restoring copies that file back page by page through
the same API, inside SQLite's own locking, so a restore never leaves a half-written file.
PostgreSQL: ``pg_dump`` in its custom format, and ``pg_restore --clean`` (dropping what the
backup will recreate) in one transaction, so a restore that fails changes nothing.

A backup holds returns, registers, ballots (their logs and seals) and accounts: keep it as
carefully as the database. Ballot logs and seals are keyed from SECRET_KEY, so verifying a
restored ballot needs the same SECRET_KEY.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

from django.db import connection


class BackupError(Exception):
    """A backup or restore that could not be done, saying why."""


def backup(target: Path) -> Path:
    target = Path(target)
    if connection.vendor == "sqlite":
        _sqlite_backup(target)
    elif connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _url()], "pg_dump")
    else:
        raise BackupError(f"backing up a {connection.vendor} database is not supported")
    return target


def restore(source: Path) -> None:
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if connection.vendor == "sqlite":
        _sqlite_restore(source)
    elif connection.vendor == "postgresql":
        connection.close()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_url()}", str(source)], "pg_restore")  # fmt: skip
    else:
        raise BackupError(f"restoring a {connection.vendor} database is not supported")


def _sqlite_backup(target: Path) -> None:
    connection.ensure_connection()
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file for the backup")
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()


def _sqlite_restore(source: Path) -> None:
    with sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True) as backup_file:
        try:
            backup_file.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not an SQLite backup: {error}") from None
        connection.ensure_connection()
        backup_file.backup(connection.connection)
    backup_file.close()


def _url() -> str:
    settings = connection.settings_dict
    user = quote(settings.get("USER") or "")
    password = quote(settings.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgresql://{credentials}{host}{port}/{quote(settings['NAME'])}"


def _run(command: list[str], tool: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
    except FileNotFoundError:
        raise BackupError(f"{tool} is not installed: install PostgreSQL's client tools") from None
    if done.returncode:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-2000:]}")
