"""``mutuals report``: the portfolio value-for-money report or a provider's scorecard, as
HTML or PDF."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutuals import reports
from mutuals.evaluation.models import EvaluationRun
from mutuals.evaluation.services import EvaluationConfig, evaluate
from mutuals.registry.lookup import organisation_by_key
from mutuals.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Write the portfolio value-for-money report, or one provider's scorecard, as HTML or "
        "PDF: objectives audit, savings against the counterfactual, impact estimates with "
        "verdicts, failure risks, charts and a methods appendix. Uses the latest finished "
        "evaluation run of everything (running one first if there is none) unless --run."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["portfolio", "provider"], help="which report")
        parser.add_argument(
            "organisation",
            nargs="?",
            help="for a provider report: its id, NHS ODS code or Companies House number",
        )
        parser.add_argument(
            "--format", dest="format_", choices=["html", "pdf"], default="pdf", help="default pdf"
        )
        parser.add_argument(
            "--out", default=None, help="file to write (default: the report's name, here)"
        )
        parser.add_argument(
            "--run", type=int, default=None, help="take impact estimates from this finished run"
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            metavar="YYYY-MM-DD",
            help=(
                "date for savings and risk (default: the end of the latest quarter whose "
                "returns are substantially complete)"
            ),
        )

    def handle(self, *args, kind, organisation, format_, out, run, as_of, **options):
        started = time.perf_counter()
        day = _parse_date(as_of) if as_of else None
        if kind == "portfolio" and organisation:
            raise CommandError("A portfolio report takes no organisation.")
        provider = _provider(organisation) if kind == "provider" else None
        try:
            chosen = self._run(run)
            report = (
                reports.build_portfolio(chosen, as_of=day)
                if kind == "portfolio"
                else reports.build_provider(provider, chosen, as_of=day)
            )
            html = reports.render_html(report)
            content = reports.render_pdf(report, html=html) if format_ == "pdf" else html.encode()
        except reports.ReportError as error:
            raise CommandError(str(error)) from None
        path = Path(out or f"{report.filename}.{format_}")
        path.write_bytes(content)
        seconds = time.perf_counter() - started
        self.stdout.write(f"Wrote {path} ({len(content):,} bytes) in {seconds:.1f} s.")

    def _run(self, pk: int | None) -> EvaluationRun:
        if pk is not None:
            return reports.finished_run(pk)
        run = reports.latest_full_run()
        if run is None:
            self.stderr.write(
                "No finished evaluation run covers every programme and metric: running one "
                "now (as `mutuals evaluate` would)."
            )
            run = evaluate(EvaluationConfig())
            self.stderr.write(f"Evaluation run {run.pk} finished.")
        return run


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not a date: use YYYY-MM-DD") from None


def _provider(key: str | None) -> Organisation:
    if not key:
        raise CommandError("Name the provider: mutuals report provider ID (or ODS code).")
    return organisation_by_key(key, provider_because="scorecards are for spin-out providers")
