from mutuals.returns.services import ImportReport, import_returns
from mutuals.tabular_command import TableImportCommand


class Command(TableImportCommand):
    help = (
        "Import a returns file (CSV or XLSX) with columns organisation, metric, period, value "
        "and optionally numerator, denominator. All or nothing unless --skip-invalid."
    )

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
