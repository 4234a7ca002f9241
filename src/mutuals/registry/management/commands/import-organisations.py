from mutuals.registry.importing import OPTIONAL, REQUIRED, import_organisations
from mutuals.tabular_command import TableImportCommand


class Command(TableImportCommand):
    help = (
        "Import organisations from CSV (columns: "
        + ", ".join(REQUIRED)
        + "; optional: "
        + ", ".join(OPTIONAL)
        + "). Rows matching a registered identifier update it. All or nothing unless "
        "--skip-invalid."
    )

    def run(self, file, skip_invalid, **options):
        return import_organisations(file, skip_invalid=skip_invalid)
