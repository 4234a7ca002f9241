"""What a published version freezes, per kind of item.

Reports (the portfolio's and a provider's scorecard) are frozen as their rendered HTML,
charts inline, plus the key findings and figures the page lists; an evaluation is frozen
as the rows of the run's results the page tabulates. Nothing on a published page is read
from live data, so new returns, new runs or new code never change a published version.
Each snapshot also names the providers, programmes and metrics it is about, for the
"related" links and the digests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from mutuals import reports
from mutuals.contracts.models import Objective
from mutuals.engine.numbers import amount
from mutuals.evaluation.models import EvaluationResult, EvaluationRun
from mutuals.publishing.errors import NothingToPublish
from mutuals.publishing.models import Item, ItemKind
from mutuals.registry.models import ProgrammeMembership
from mutuals.reports import impact
from mutuals.reports.document import Bullets, Report


@dataclass(frozen=True)
class Snapshot:
    document_html: str
    data: dict
    run: EvaluationRun | None
    provider_ids: frozenset[int] = field(default_factory=frozenset)
    programme_ids: frozenset[int] = field(default_factory=frozenset)
    metric_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def sha256(self) -> str:
        payload = json.dumps(self.data, sort_keys=True, default=str) + self.document_html
        return hashlib.sha256(payload.encode()).hexdigest()


def take(item: Item, run: EvaluationRun | None = None) -> Snapshot:
    """Freeze ``item``'s material now, from ``run`` (default: the latest full run)."""
    run = run or reports.latest_full_run()
    if item.kind == ItemKind.EVALUATION:
        return _evaluation(item, run)
    if item.kind == ItemKind.SCORECARD:
        report = reports.build_provider(item.organisation, run)
        return _report(report, run, _provider_tags(item.organisation_id))
    return _report(reports.build_portfolio(run), run, {})


def _report(report: Report, run: EvaluationRun | None, tags: dict) -> Snapshot:
    summary = report.section("summary")
    findings = [
        text for block in summary.blocks if isinstance(block, Bullets) for text in block.items
    ]
    data = {
        "findings": findings,
        "sections": [section.title for section in report.body],
        "as_of": report.as_of.isoformat(),
        "filename": report.filename,
        "run": _run_json(run),
    }
    return Snapshot(reports.render_html(report), data, run, **tags)


def _provider_tags(organisation_id: int) -> dict:
    programmes = ProgrammeMembership.objects.filter(organisation_id=organisation_id).values_list(
        "programme_id", flat=True
    )
    metrics = Objective.objects.filter(
        contract__provider_id=organisation_id, metric__isnull=False
    ).values_list("metric_id", flat=True)
    return {
        "provider_ids": frozenset([organisation_id]),
        "programme_ids": frozenset(programmes),
        "metric_ids": frozenset(metrics),
    }


def _evaluation(item: Item, run: EvaluationRun | None) -> Snapshot:
    if run is None:
        raise NothingToPublish(
            "There is no finished evaluation run to publish: run `mutuals evaluate` first."
        )
    results = EvaluationResult.objects.filter(run=run).select_related(
        "programme", "metric", "organisation"
    )
    if item.programme_id:
        results = results.filter(programme_id=item.programme_id)
    rows = [
        _result_json(result)
        for result in results.order_by("programme__name", "method", "cohort", "metric__name", "pk")
    ]
    if not rows:
        where = f" for {item.programme.name}" if item.programme_id else ""
        raise NothingToPublish(f"Evaluation run {run.pk} has no results{where} to publish.")
    data = {"results": rows, "run": _run_json(run)}
    return Snapshot(
        "",
        data,
        run,
        provider_ids=frozenset(r.organisation_id for r in results if r.organisation_id),
        programme_ids=frozenset(r.programme_id for r in results),
        metric_ids=frozenset(r.metric_id for r in results),
    )


def _run_json(run: EvaluationRun | None) -> dict | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "fingerprint": run.fingerprint,
        "code_version": run.code_version,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "multiplicity": run.multiplicity or {},
        "multiplicity_sentence": impact.multiplicity_sentence(run.multiplicity),
    }


def _result_json(result: EvaluationResult) -> dict:
    return {
        "programme": result.programme.name,
        "cohort": result.cohort,
        "metric": result.metric.name,
        "metric_code": result.metric.code,
        "unit": result.metric.unit,
        "method": result.get_method_display(),
        "provider": result.organisation.name if result.organisation_id else "",
        "treated_units": result.treated_units,
        "comparison_units": result.comparison_units,
        "att": result.att,
        "effect": amount(result.att, result.metric.unit, sign=True),
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "ci_level": result.ci_level,
        "p_value": result.p_value,
        "p_value_adjusted": result.p_value_adjusted,
        "verdict": impact.verdict_text(result.verdict, result.assessable_from),
        "verdict_code": result.verdict,
        "reading": impact.reading_of(result),
        "explanation": impact.explanation_of(result),
        "reason": result.reason,
        "assessable_from": result.assessable_from,
        "grade": result.grade,
        "grade_text": impact.grade_text(result.grade),
    }
