from django.core.management.base import BaseCommand, CommandError

from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.returns.services import import_returns


class Command(BaseCommand):
    help = (
        "Import a returns file (CSV or XLSX) with columns organisation, metric, period, value "
        "and optionally numerator, denominator. All or nothing unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX file to import")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows and write the rejected ones, with reasons, "
            "to FILE.rejects.csv",
        )

    def handle(self, *args, file, skip_invalid, **options):
        try:
            report = import_returns(file, skip_invalid=skip_invalid, source="cli")
        except FileUnreadable as error:
            raise CommandError(str(error)) from None
        except ImportRejected as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Imported {report.imported} of {report.rows} rows "
            f"({report.new_versions} as new versions of earlier returns)."
        )
        if report.rejects_path:
            self.stdout.write(
                f"Rejected {len({p.row for p in report.problems})} rows; "
                f"they are in {report.rejects_path} with their reasons."
            )
