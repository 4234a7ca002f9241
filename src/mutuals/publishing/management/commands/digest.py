"""``mutuals digest send --frequency daily|weekly``: send a period's email digests once."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from mutuals.publishing import digests, periods
from mutuals.publishing.errors import PublishingError
from mutuals.publishing.models import Frequency


class Command(BaseCommand):
    help = (
        "Send the email digests of the last complete day or week (new alerts, newly "
        "published material, ballots opened) to everyone who follows something at that "
        "frequency. Safe to run again: a period is never sent twice, and an interrupted "
        "run resumes with the recipients it had not reached."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="send")
        send = actions.add_parser("send", help="send the digests of one period")
        send.add_argument("--frequency", choices=Frequency.values, required=True)
        send.add_argument(
            "--period",
            metavar="DATE",
            help="a day in the period to send, such as 2026-11-22 (default: yesterday for "
            "daily, last week for weekly)",
        )
        send.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, action, frequency, period=None, quiet=False, **options):
        try:
            chosen = periods.containing(frequency, periods.parse_day(period)) if period else None
            if quiet or not sys.stderr.isatty():
                summary = digests.send(frequency, period=chosen)
            else:
                with Progress(transient=True) as bar:
                    task = bar.add_task(f"Sending the {frequency} digest", total=None)
                    summary = digests.send(
                        frequency,
                        period=chosen,
                        progress=lambda done, total: bar.update(task, completed=done, total=total),
                    )
        except PublishingError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(summary))
        for error in summary.errors:
            self.stderr.write(f"  not sent: {error}")
