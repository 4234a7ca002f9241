"""``mutuals evaluate``: impact evaluation of every programme cohort and single provider."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mutuals.evaluation.models import EvaluationRun, RunStatus
from mutuals.evaluation.services import (
    EvaluationConfig,
    EvaluationError,
    create_run,
    execute,
    result_rows,
)
from mutuals.reports import impact


class Command(BaseCommand):
    help = (
        "Estimate the impact of each programme cohort (difference-in-differences against "
        "the programme's comparators) and of each single provider (synthetic control with "
        "placebo inference), for every metric; store the run with a fingerprint of its data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--programme",
            action="append",
            default=[],
            help="a programme code to evaluate (repeat for several; default all)",
        )
        parser.add_argument(
            "--metric",
            action="append",
            default=[],
            help="a metric code to evaluate (repeat for several; default all)",
        )
        parser.add_argument(
            "--as-of", default=None, help="use only returns up to this quarter, e.g. 2013-Q1"
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        parser.add_argument(
            "--run", type=int, default=None, help="carry out this queued run (started from the web)"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, programme, metric, as_of, json: bool, run, quiet, **options):
        try:
            if run is not None:
                queued = EvaluationRun.objects.filter(pk=run, status=RunStatus.QUEUED).first()
                if queued is None:
                    raise CommandError(f"run {run}: there is no queued evaluation run {run}")
            else:
                config = EvaluationConfig(
                    programmes=tuple(programme), metrics=tuple(metric), as_of=as_of
                )
                queued = create_run(config)
            finished = self._execute(queued, quiet or json)
        except EvaluationError as error:
            raise CommandError(str(error)) from None
        rows = result_rows(finished)
        if json:
            self.stdout.write(_json(rows))
        elif not quiet:
            self._print(finished, rows)

    def _execute(self, run: EvaluationRun, quiet: bool) -> EvaluationRun:
        if quiet:
            return execute(run)
        console = Console(stderr=True)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("Evaluating", total=None)

            def advance(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=f"Evaluating {label}")

            return execute(run, advance)

    def _print(self, run: EvaluationRun, rows: list[dict]) -> None:
        self.stdout.write(
            f"Evaluation run {run.pk}: {len(rows)} results; fingerprint {run.fingerprint}; "
            f"code {run.code_version}"
        )
        summary = impact.multiplicity_sentence(run.multiplicity)
        if summary:
            self.stdout.write(summary)
        for r in rows:
            who = r["organisation"] or f"{r['cohort']} cohort ({r['treated']} providers)"
            verdict = impact.verdict_text(r["verdict"], r["assessable_from"] or "")
            self.stdout.write(
                f"\n{r['programme']} · {who} · {r['metric']} · {r['method']} · grade "
                f"{r['grade'] if r['grade'] is not None else '–'}\n  {verdict}: {r['reason']}"
            )


def _json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2)
