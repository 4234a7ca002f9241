"""``mutuals did``: staggered difference-in-differences on a panel file."""

import json

from django.core.management.base import BaseCommand, CommandError

from mutuals.engine.cli_json import did_payload, did_text, run_did
from mutuals.engine.errors import EngineError


class Command(BaseCommand):
    help = (
        "Estimate the effect of a staggered treatment (Callaway & Sant'Anna 2021 "
        "difference-in-differences) from a long panel in CSV or Parquet: ATT(g,t), the "
        "overall ATT, effects by event time, cohort and period, and a pre-trend test. "
        "Cohort 0 means never treated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "panel", help="the panel file, .csv or .parquet (one row per unit and period)"
        )
        parser.add_argument("--outcome", required=True, help="the outcome column")
        parser.add_argument("--unit", required=True, help="the unit identifier column")
        parser.add_argument("--time", required=True, help="the period column (numbers)")
        parser.add_argument(
            "--cohort", required=True, help="the first-treated-period column (0 = never treated)"
        )
        parser.add_argument(
            "--control",
            choices=["never", "notyet"],
            default="never",
            help="compare with never-treated units (default) or with units not yet treated",
        )
        parser.add_argument(
            "--covariates", default="", help="comma-separated baseline covariate columns"
        )
        parser.add_argument(
            "--method",
            choices=["dr", "reg", "ipw"],
            default="dr",
            help="with covariates: doubly robust (default), outcome regression or IPW",
        )
        parser.add_argument(
            "--bootstrap",
            type=int,
            default=0,
            help="multiplier-bootstrap draws (0 = analytic standard errors)",
        )
        parser.add_argument("--seed", type=int, default=None, help="bootstrap random seed")
        parser.add_argument("--json", action="store_true", help="print JSON instead of tables")

    def handle(self, *args, **opts):
        covariates = [c.strip() for c in opts["covariates"].split(",") if c.strip()]
        try:
            result = run_did(
                opts["panel"],
                outcome=opts["outcome"],
                unit=opts["unit"],
                time=opts["time"],
                cohort=opts["cohort"],
                control=opts["control"],
                covariates=covariates,
                method=opts["method"],
                bootstrap=opts["bootstrap"],
                seed=opts["seed"],
            )
        except EngineError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(did_payload(result), indent=2) if opts["json"] else did_text(result)
        self.stdout.write(text)
