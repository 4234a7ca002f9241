"""``mutuals restore``: put a backup made by ``mutuals backup`` back in place."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `mutuals backup` (stop the "
        "web servers and workers first). Needs --yes, as everything since the backup is "
        "lost; verifying restored ballots needs the same SECRET_KEY."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="yes, replace the database")

    def handle(self, *args, backup, yes, **options):
        if not yes:
            raise CommandError(
                "Restoring replaces everything in the database with the backup: run again "
                "with --yes to go ahead."
            )
        try:
            restore(Path(backup))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the database from {backup}.")
