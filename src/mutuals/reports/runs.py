"""Which evaluation run a report's impact figures come from.

By default the latest finished run that covers everything: every programme,
every metric and every return (no as-of quarter). A report can name another
finished run instead.
"""

from __future__ import annotations

from django.db.models import F

from mutuals.evaluation.models import EvaluationRun, RunStatus
from mutuals.evaluation.services import EvaluationConfig


class ReportError(Exception):
    """A report that cannot be made as asked, with a message a person can act on."""


def covers_everything(run: EvaluationRun) -> bool:
    config = EvaluationConfig.from_json(run.configuration)
    return not config.programmes and not config.metrics and config.as_of is None


def latest_full_run() -> EvaluationRun | None:
    """The most recently finished run of every programme and metric on all returns."""
    finished = EvaluationRun.objects.filter(status=RunStatus.DONE).order_by(
        F("finished_at").desc(nulls_last=True), "-pk"
    )
    return next((run for run in finished.iterator() if covers_everything(run)), None)


def finished_run(pk: int) -> EvaluationRun:
    """Run ``pk``, which must exist and have finished."""
    run = EvaluationRun.objects.filter(pk=pk).first()
    if run is None:
        raise ReportError(f"There is no evaluation run {pk}: see `mutuals evaluate`.")
    if run.status != RunStatus.DONE:
        raise ReportError(
            f"Evaluation run {pk} is {run.get_status_display().lower()}, not finished: "
            "wait for it, or leave out --run to use the latest finished run."
        )
    return run
