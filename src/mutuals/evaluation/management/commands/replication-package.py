"""``mutuals replication-package``: write an evaluation run's replication package."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals.evaluation import replication
from mutuals.evaluation.models import EvaluationRun


class Command(BaseCommand):
    help = (
        "Write a finished evaluation run's replication package (a zip): every panel it read, "
        "exactly as its estimators saw them, its configuration, code version, fingerprint and "
        "results, and scripts that reproduce its difference-in-differences estimates in csdid "
        "or R's did. It holds providers' returns: keep it as you keep them."
    )

    def add_arguments(self, parser):
        parser.add_argument("run", type=int, help="the evaluation run's number")
        parser.add_argument(
            "--out", default=None, help="where to write it (default: mutuals-run-N-replication.zip)"
        )

    def handle(self, *args, run, out, **options):
        found = EvaluationRun.objects.filter(pk=run).first()
        if found is None:
            raise CommandError(f"run {run}: there is no evaluation run {run}")
        try:
            package = replication.build(found)
        except replication.ReplicationError as error:
            raise CommandError(str(error)) from None
        path = Path(out or replication.package_name(found))
        path.write_bytes(package)
        self.stdout.write(f"Wrote {path} ({len(package):,} bytes) for evaluation run {run}.")
