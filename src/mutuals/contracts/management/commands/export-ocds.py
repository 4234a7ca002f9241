"""``mutuals export-ocds``: contracts as an OCDS 1.1 release package (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals.contracts.models import Contract
from mutuals.contracts.ocds import export_release_package, validate_release_package


class Command(BaseCommand):
    help = (
        "Write contracts as an OCDS 1.1 release package, with objectives and the "
        "providers' returns through the metrics extension, validated against the "
        "shipped schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the JSON file to write")
        parser.add_argument(
            "--contract",
            action="append",
            default=[],
            metavar="REF",
            help="export only this contract reference (repeatable); default: all",
        )

    def handle(self, *args, out, contract, **options):
        contracts = Contract.objects.all()
        if contract:
            contracts = contracts.filter(reference__in=contract)
            missing = sorted(set(contract) - set(contracts.values_list("reference", flat=True)))
            if missing:
                raise CommandError(f"No contract has the reference {', '.join(missing)}")
        package = export_release_package(contracts)
        problems = validate_release_package(package)
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError("The export does not validate against the OCDS schema")
        Path(out).write_text(json.dumps(package, indent=2, ensure_ascii=False), encoding="utf-8")
        self.stdout.write(f"{len(package['releases'])} contract(s) written to {out}.")
