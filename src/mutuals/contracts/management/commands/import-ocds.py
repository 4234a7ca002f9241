"""``mutuals import-ocds``: contracts from an OCDS 1.1 release package, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals.contracts.ocds import import_release_package
from mutuals.errors import ImportRejected
from mutuals.returns.cells import excerpt


class Command(BaseCommand):
    help = (
        "Import contracts from an OCDS 1.1 release package (such as Contracts Finder "
        "publishes), validated against the shipped schema. Creates organisations named by "
        "GB-NHS, GB-COH or GB-CHC identifiers when missing. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the release package (JSON)")

    def handle(self, *args, file, **options):
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{file} is not JSON: {excerpt(error, 200)}") from None
        except RecursionError:
            raise CommandError(f"{file} nests lists or objects too deeply to read") from None
        try:
            report = import_release_package(data)
        except ImportRejected as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(error).replace("row(s)", "release(s)")) from None
        self.stdout.write(
            f"{report.created} contracts created, {report.updated} updated, of "
            f"{report.releases} releases; {report.organisations_created} organisations created."
        )
