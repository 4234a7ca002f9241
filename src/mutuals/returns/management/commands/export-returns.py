from django.core.management.base import BaseCommand

from mutuals.returns.services import export_returns


class Command(BaseCommand):
    help = "Export the current version of every observation as CSV, in the import's columns."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the CSV file to write")

    def handle(self, *args, out, **options):
        count = export_returns(out)
        self.stdout.write(f"Wrote {count} observations to {out}.")
