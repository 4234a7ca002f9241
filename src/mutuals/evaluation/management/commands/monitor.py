"""``mutuals monitor``: statistical process control on every series, and the alerts it raises."""

from __future__ import annotations

import dataclasses
import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from rich.console import Console

from mutuals.evaluation.monitoring import run_monitoring
from mutuals.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Chart every provider's current returns by statistical process control (XmR, "
        "Making Data Count) and replace the open alerts: special causes of concern and "
        "targets consistently failed. Prints what was opened, kept and closed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--organisation",
            action="append",
            default=[],
            metavar="IDENTIFIER",
            help="only this organisation, by ODS code, company or charity number "
            "(repeat for several; default every organisation)",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--quiet", action="store_true", help="no progress spinner")

    def handle(self, *args, organisation, json: bool, quiet: bool, **options):
        ids = _organisation_ids(organisation) if organisation else None
        if quiet or json:
            summary = run_monitoring(organisation_ids=ids)
        else:
            with Console(stderr=True).status("Charting every series and sorting alerts"):
                summary = run_monitoring(organisation_ids=ids)
        if json:
            self.stdout.write(_json(summary))
            return
        for line in summary.lines():
            self.stdout.write(line)


def _organisation_ids(identifiers: list[str]) -> list[int]:
    ids = []
    for identifier in identifiers:
        match = Organisation.objects.filter(
            Q(ods_code=identifier) | Q(company_number=identifier) | Q(charity_number=identifier)
        ).values_list("pk", flat=True)
        if not match:
            raise CommandError(
                f"No organisation has the identifier {identifier!r}: give an ODS code, "
                "a Companies House number or a charity number."
            )
        ids.extend(match)
    return ids


def _json(summary) -> str:
    return json.dumps(
        {**dataclasses.asdict(summary), "total_seconds": summary.total_seconds}, indent=2
    )
