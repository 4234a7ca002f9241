"""An evaluation run on the task queue: laid out once, its steps made by any workers, and
gathered by whichever finishes the last step (:mod:`mutuals.evaluation.services`)."""

from __future__ import annotations

from django_tasks import task

from mutuals.evaluation import services
from mutuals.evaluation.models import EvaluationRun, EvaluationStep


@task()
def lay_out_run(run_id: int) -> int:
    """Record the run's steps and queue each; returns how many were queued."""
    run = EvaluationRun.objects.get(pk=run_id)
    try:
        steps = services.lay_out(run)
    except Exception as error:
        services.fail(run, error)
        raise
    for step in steps:
        make_evaluation_step.enqueue(step.pk)
    if not steps:
        services.gather(run)
    return len(steps)


@task()
def make_evaluation_step(step_id: int) -> bool:
    """Make one step, then gather the run if it was the last; True if this gathered it."""
    step = EvaluationStep.objects.select_related("run", "programme", "metric").get(pk=step_id)
    try:
        services.make_step(step)
        return services.gather(step.run)
    except Exception as error:
        services.fail(step.run, error)
        raise


@task()
def monitor_organisations(organisation_ids: list[int]) -> str:
    """Chart the organisations' series again and replace their open alerts; returns the
    summary's first line. Safe to run twice: the second run finds the same alerts open."""
    from mutuals.evaluation.monitoring import run_monitoring

    summary = run_monitoring(organisation_ids=organisation_ids)
    return " ".join(summary.lines()[:2])


def monitor_after_import(sender, *, organisation_ids: list[int], **_) -> None:
    """After returns are imported, queue the charting of the organisations they were for,
    so the request or command that imported them does not wait for it."""
    if organisation_ids:
        monitor_organisations.enqueue(list(organisation_ids))
