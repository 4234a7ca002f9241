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
