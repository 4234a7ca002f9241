"""``mutuals worker``: work the task queue."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mutuals.operations import worker


class Command(BaseCommand):
    help = (
        "Work the background task queue (evaluation runs, report PDFs, digests, the ballot "
        "tick, monitoring after imports): run as many as you like, on any number of "
        "machines sharing the database. A task held by a worker that dies is put back in "
        "the queue. --processes N starts N worker processes and restarts any that stops."
    )

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
        parser.add_argument(
            "--interval", type=float, default=1.0,
            help="seconds to wait when the queue is empty (default 1)",
        )  # fmt: skip
        parser.add_argument(
            "--batch", action="store_true", help="work until the queue is empty, then stop"
        )

    def handle(self, *args, processes: int, interval: float, batch: bool, **options):
        if processes < 1:
            raise CommandError("--processes: give 1 or more")
        if processes == 1 or batch:
            worker.run_worker(interval=interval, batch=batch)
            return
        worker.run_workers(processes, interval=interval, write=self.stdout.write)
