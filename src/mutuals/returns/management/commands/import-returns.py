from mutuals.returns.services import ImportReport, import_returns
from mutuals.tabular_command import TableImportCommand


class Command(TableImportCommand):
    help = (
        "Import a returns file (CSV or XLSX) with columns organisation, metric, period, value "
        "and optionally numerator, denominator. All or nothing unless --skip-invalid."
    )
    # Django's system checks would import every URL, view and the API (the statistics
    # libraries with them): seconds before an import can start, and nothing it needs.
    # `mutuals check` runs them; the server and `mutuals migrate` check as they start.
    requires_system_checks = []

    def run(self, file, skip_invalid, **options) -> ImportReport:
        return import_returns(file, skip_invalid=skip_invalid, source="cli")

    def report(self, report: ImportReport, noun: str) -> None:
        self.stdout.write(
            f"Imported {report.imported} of {report.rows} rows "
            f"({report.new_versions} as new versions of earlier returns)."
        )
        if report.rejects_path:
            self.stdout.write(
                f"Rejected {len({p.row for p in report.problems})} rows; "
                f"they are in {report.rejects_path} with their reasons."
            )
