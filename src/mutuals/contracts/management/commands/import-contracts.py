from mutuals.contracts.importing import REQUIRED, import_contracts, import_objectives
from mutuals.tabular_command import TableImportCommand


class Command(TableImportCommand):
    help = (
        "Import contracts from CSV (columns: "
        + ", ".join(REQUIRED)
        + "; optional: services, savings_requirement_pct, social_value_weight_pct, "
        "extra_benefits, continuity_plan, evaluation_plan and baseline_* columns), and "
        "optionally their objectives. All or nothing unless --skip-invalid."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--objectives",
            help="a second CSV of objectives: reference, description, direction and "
            "optionally metric, target, deadline, measurement",
        )

    def run(self, file, skip_invalid, objectives=None, **options):
        report = import_contracts(file, skip_invalid=skip_invalid)
        self.report(report, "contracts")
        if objectives:
            return import_objectives(objectives, skip_invalid=skip_invalid)
        return None
