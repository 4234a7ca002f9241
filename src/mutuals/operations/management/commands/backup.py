"""``mutuals backup``: a consistent copy of the database, while the site runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals.operations.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back the database up to a file while the site keeps running: SQLite's online "
        "backup, or pg_dump for PostgreSQL. It holds returns, registers, ballots and "
        "accounts: keep it as carefully as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", default=None, help="the backup file (default mutuals-YYYYMMDD-HHMMSS.backup)"
        )

    def handle(self, *args, out, **options):
        target = Path(out or f"mutuals-{datetime.now():%Y%m%d-%H%M%S}.backup")
        try:
            backup(target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up to {target} ({target.stat().st_size:,} bytes).")
