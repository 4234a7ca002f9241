"""``mutuals synth``: a synthetic control for one treated unit from a panel file."""

import json

from django.core.management.base import BaseCommand, CommandError

from mutuals.engine.cli_json import parse_number, run_synth, synth_payload, synth_text
from mutuals.engine.errors import EngineError


class Command(BaseCommand):
    help = (
        "Build a synthetic control for one treated unit from a long panel in CSV or "
        "Parquet: donor weights, pre-period fit (RMSPE), the gap in every period and the "
        "average post-period effect; --placebo adds placebo-in-space inference."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "panel", help="the panel file, .csv or .parquet (one row per unit and period)"
        )
        parser.add_argument("--outcome", required=True, help="the outcome column")
        parser.add_argument("--unit", required=True, help="the unit identifier column")
        parser.add_argument("--time", required=True, help="the period column (numbers)")
        parser.add_argument("--treated", required=True, help="the treated unit's identifier")
        parser.add_argument(
            "--start",
            required=True,
            help="the first treated period (earlier periods fit the weights)",
        )
        parser.add_argument(
            "--placebo",
            action="store_true",
            help="refit treating each donor as treated and report the placebo p-value",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of tables")

    def handle(self, *args, **opts):
        try:
            start = parse_number(opts["start"])
        except ValueError as exc:
            raise CommandError(f"--start must be a period number; got {opts['start']!r}") from exc
        try:
            result = run_synth(
                opts["panel"],
                outcome=opts["outcome"],
                unit=opts["unit"],
                time=opts["time"],
                treated=opts["treated"],
                start=start,
                placebo=opts["placebo"],
            )
        except EngineError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(synth_payload(result), indent=2) if opts["json"] else synth_text(result)
        self.stdout.write(text)
