"""``mutuals scheduler``: queue periodic jobs (the digests, the ballot tick) for the workers."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand
from django.utils import timezone

from mutuals.publishing import scheduler


class Command(BaseCommand):
    help = (
        "Queue periodic jobs for `mutuals worker` as they fall due: the daily digest after "
        "DIGEST_DAILY_HOUR, the weekly digest on DIGEST_WEEKLY_DAY, the ballot tick every "
        "minute. Runs until stopped; --once queues the due jobs once and exits (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run due jobs once, then exit")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between checks (default 60)"
        )
        parser.add_argument("--list", action="store_true", help="list the registered jobs")

    def handle(self, *args, once: bool, interval: float, list: bool, **options):
        if list:
            for name in scheduler.JOBS:
                self.stdout.write(name)
            return
        if once:
            for outcome in scheduler.run_due():
                self._report(outcome)
            return
        stopping = []
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stopping.append(True))
        self.stdout.write(
            f"Scheduler running {len(scheduler.JOBS)} jobs; checking every "
            f"{interval:g} s. Stop with Ctrl-C."
        )
        scheduler.loop(interval, report=self._report, should_stop=lambda: bool(stopping))
        self.stdout.write("Scheduler stopped.")

    def _report(self, outcome: scheduler.Outcome) -> None:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        line = f"{stamp} {outcome.job}: {outcome.message}"
        self.stdout.write(line if outcome.ok else self.style.ERROR(line))
