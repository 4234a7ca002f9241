"""The shared shape of the table-import commands: options, messages and exit status."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.tabular import TableReport


class TableImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("file", help="the file to import (CSV, or XLSX where accepted)")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows and write the rejected ones to FILE.rejects.csv",
        )

    def run(self, file, skip_invalid, **options) -> TableReport | None:
        raise NotImplementedError

    def handle(self, *args, file, skip_invalid, **options):
        try:
            report = self.run(file, skip_invalid, **options)
        except FileUnreadable as error:
            raise CommandError(str(error)) from None
        except ImportRejected as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(error)) from None
        if report is not None:
            self.report(report, "rows")

    def report(self, report: TableReport, noun: str) -> None:
        self.stdout.write(
            f"{report.created} {noun} created, {report.updated} updated, of {report.rows} rows."
        )
        if report.rejects_path:
            self.stdout.write(f"Rejected rows are in {report.rejects_path} with their reasons.")
