"""``mutuals register import|export --organisation ID``: a provider's member register."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mutuals.errors import FileUnreadable
from mutuals.governance.register.exporting import export_register
from mutuals.governance.register.importing import RegisterRejected, import_register
from mutuals.registry.lookup import organisation_by_key
from mutuals.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Import a provider's member register (people, holdings, board seats; CSV or XLSX; "
        "all or nothing, problems named by table, row and column) or export it as CSV in "
        "the same columns."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="import|export")
        importing = actions.add_parser("import", help="import register tables")
        exporting = actions.add_parser("export", help="export the register as three CSV files")
        for sub in (importing, exporting):
            sub.add_argument(
                "--organisation",
                required=True,
                help="the provider's id, NHS ODS code, Companies House or charity number",
            )
        importing.add_argument("--people", help="people: reference, name, role_group, ...")
        importing.add_argument(
            "--holdings", help="holdings: reference, share_class, shares, valid_from, ..."
        )
        importing.add_argument("--board", help="board seats: holder_name, filled_by, held_from")
        exporting.add_argument(
            "--out", required=True, help="folder for people.csv, holdings.csv and board.csv"
        )

    def handle(self, *args, action, organisation, **options):
        provider = find_provider(organisation)
        if action == "export":
            written = export_register(provider, options["out"])
            for table, path in written.items():
                self.stdout.write(f"Wrote {table} to {path}.")
            return
        try:
            report = import_register(
                provider,
                people=options["people"],
                holdings=options["holdings"],
                board=options["board"],
            )
        except FileUnreadable as error:
            raise CommandError(str(error)) from None
        except RegisterRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(f"{rejected.table}: {problem}")
            raise CommandError(str(rejected)) from None
        self.stdout.write(f"Register of {provider.name} imported: {report.sentence()}")


def find_provider(key: str) -> Organisation:
    return organisation_by_key(key, provider_because="only a spin-out provider has a register")
