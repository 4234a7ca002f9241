"""Impact evaluation runs: from the database, through the engine, to stored results.

One run covers some programmes and metrics (all by default). For each
programme and metric it reads the balanced panel of the programme's members
(:mod:`mutuals.evaluation.panels`) and estimates every cohort and single
provider it considers (:mod:`mutuals.evaluation.estimates`): difference-in-
differences for cohorts of spin-outs, synthetic control for single providers,
and a stated reason for anything it cannot estimate. The run's verdicts are
then judged together under one multiplicity control
(:mod:`mutuals.evaluation.judging`), so a run of a hundred tests does not
report chance as findings.

A run stores its configuration, the code version, a fingerprint of every
panel it read and its multiplicity control, so re-running it on the same data
gives the same numbers and fingerprint, and any changed observation changes
the fingerprint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields

import polars as pl
from django.db import transaction
from django.utils import timezone

from mutuals.evaluation.estimates import Estimate, Settings, estimate_step
from mutuals.evaluation.fingerprint import code_version, run_fingerprint
from mutuals.evaluation.judging import judge
from mutuals.evaluation.models import EvaluationResult, EvaluationRun, EvaluationStep, RunStatus
from mutuals.evaluation.panels import (
    Panel,
    members,
    programme_panel,
    quarterly_values_by_metric,
)
from mutuals.registry.models import Programme
from mutuals.returns.models import Metric
from mutuals.returns.periods import quarter_index

Progress = Callable[[int, int, str], None]


class EvaluationError(Exception):
    """A run that cannot start: an unknown programme, metric or period."""


@dataclass(frozen=True)
class EvaluationConfig:
    """What a run evaluates and how. Empty ``programmes``/``metrics`` mean all."""

    programmes: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    as_of: str | None = None
    alpha: float = 0.05
    min_cohort_units: int = 2
    min_post_periods: int = 8
    min_pre_periods: int = 4
    effect_threshold: float = 0.05
    synth_max_donors: int = 200

    def to_json(self) -> dict:
        data = asdict(self)
        data["programmes"] = list(self.programmes)
        data["metrics"] = list(self.metrics)
        return data

    @classmethod
    def from_json(cls, data: dict) -> EvaluationConfig:
        data = dict(data)
        data["programmes"] = tuple(data.get("programmes", ()))
        data["metrics"] = tuple(data.get("metrics", ()))
        return cls(**data)

    @property
    def settings(self) -> Settings:
        """The estimator settings the estimates take."""
        return Settings(**{f.name: getattr(self, f.name) for f in fields(Settings)})


@dataclass
class _Step:
    programme: Programme
    metric: Metric
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = f"{self.programme.code} × {self.metric.code}"


def create_run(config: EvaluationConfig, *, user=None) -> EvaluationRun:
    """Check the configuration against the catalogue and record a queued run, with its
    number of steps (one per programme × metric) known from the start, so its progress
    always has a total."""
    steps_total = len(_programmes(config)) * len(_metrics(config))
    if config.as_of is not None:
        try:
            quarter_index(config.as_of)
        except ValueError as exc:
            raise EvaluationError(
                f"as of {config.as_of!r}: write a quarter such as 2013-Q1"
            ) from exc
    return EvaluationRun.objects.create(
        configuration=config.to_json(),
        started_by=user,
        code_version=code_version(),
        steps_total=steps_total,
    )


def start(run: EvaluationRun) -> None:
    """Hand a queued run to the task queue: one task lays out its steps, any worker makes
    any step, and whichever finishes last gathers the run (:mod:`mutuals.evaluation.tasks`)."""
    from mutuals.evaluation.tasks import lay_out_run

    lay_out_run.enqueue(run.pk)


def lay_out(run: EvaluationRun) -> list[EvaluationStep]:
    """Mark the run running and record its steps, one per programme × metric, in order;
    returns the steps still to make (all of them, unless it was laid out before)."""
    config = EvaluationConfig.from_json(run.configuration)
    pairs = [(p, m) for m in _metrics(config) for p in _programmes(config)]
    with transaction.atomic():
        EvaluationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), steps_total=len(pairs),
            steps_done=0,
        )  # fmt: skip
        EvaluationStep.objects.bulk_create(
            [
                EvaluationStep(run=run, index=i, programme=p, metric=m)
                for i, (p, m) in enumerate(pairs)
            ],
            ignore_conflicts=True,
        )
    return list(run.steps.filter(done=False).select_related("programme", "metric"))


def make_step(step: EvaluationStep, values: pl.DataFrame | None = None) -> None:
    """Make one step's estimates and store them, once: a step made again (its worker died
    after it finished) changes nothing. ``values`` are the metric's quarterly values when
    the caller has read them already."""
    if step.done:
        return
    config = EvaluationConfig.from_json(step.run.configuration)
    as_of = quarter_index(config.as_of) if config.as_of else None
    if values is None:
        values = quarterly_values_by_metric(
            [step.metric_id], as_of, programme_id=step.programme_id
        )[step.metric_id]
    panel = programme_panel(
        step.programme.code, step.programme.pk, step.metric.code, values,
        members(step.programme.pk),
    )  # fmt: skip
    estimates, digest = estimate_step(
        step.programme, step.metric, step.programme.kind, panel, config.settings
    )
    EvaluationStep.objects.filter(pk=step.pk, done=False).update(
        done=True, estimates=[e.to_json() for e in estimates], digest=digest,
        finished_at=timezone.now(),
    )  # fmt: skip
    done = EvaluationStep.objects.filter(run_id=step.run_id, done=True).count()
    EvaluationRun.objects.filter(pk=step.run_id).update(steps_done=done)


def gather(run: EvaluationRun) -> bool:
    """Judge and store the run's results once every step is made; True if this call did.
    Under the run's row lock, so two workers finishing together gather it once."""
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.RUNNING:
            return False
        steps = list(locked.steps.order_by("index"))
        if not all(step.done for step in steps):
            return False
        config = EvaluationConfig.from_json(locked.configuration)
        estimates = [Estimate.from_json(e) for step in steps for e in step.estimates]
        judged = judge(locked, estimates, {m.pk: m for m in _metrics(config)}, config)
        EvaluationResult.objects.filter(run=locked).delete()
        EvaluationResult.objects.bulk_create(judged.results)
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            finished_at=timezone.now(),
            steps_done=len(steps),
            fingerprint=run_fingerprint(
                locked.configuration, locked.code_version, [step.digest for step in steps]
            ),
            multiplicity=judged.summary(),
        )
    return True


def fail(run: EvaluationRun, error: BaseException) -> None:
    EvaluationRun.objects.filter(pk=run.pk).exclude(status=RunStatus.DONE).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), error=str(error)[:2000]
    )


def execute(run: EvaluationRun, progress: Progress | None = None) -> EvaluationRun:
    """Carry out a queued run in this process, step by step, with the same steps and
    gathering as the task queue's: the same results and fingerprint. Failures are
    recorded on the run."""
    try:
        steps = lay_out(run)
        config = EvaluationConfig.from_json(run.configuration)
        as_of = quarter_index(config.as_of) if config.as_of else None
        metric_ids = sorted({step.metric_id for step in steps})
        values = quarterly_values_by_metric(metric_ids, as_of, bulk=True) if metric_ids else {}
        total = run.steps.count()
        for step in steps:
            make_step(step, values[step.metric_id])
            if progress:
                progress(step.index + 1, total, f"{step.programme.code} × {step.metric.code}")
        gather(run)
    except Exception as exc:
        fail(run, exc)
        raise
    run.refresh_from_db()
    return run


def evaluate(config: EvaluationConfig, *, user=None, progress: Progress | None = None):
    """Create and carry out a run at once (the CLI's path)."""
    return execute(create_run(config, user=user), progress)


def result_rows(run: EvaluationRun) -> list[dict]:
    """The run's results as plain rows: what ``mutuals evaluate --json`` prints."""
    rows = []
    for r in run.results.select_related("programme", "metric", "organisation"):
        rows.append(
            {
                "programme": r.programme.code,
                "cohort": r.cohort,
                "metric": r.metric.code,
                "method": r.method,
                "organisation": r.organisation.identifier if r.organisation else None,
                "att": r.att,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "ci_level": r.ci_level,
                "p_value": r.p_value,
                "p_value_adjusted": r.p_value_adjusted,
                "verdict": r.verdict,
                "below_threshold": r.below_threshold,
                "reason": r.reason,
                "comparators": r.comparison_units,
                "treated": r.treated_units,
                "grade": r.grade,
                "assessable_from": r.assessable_from or None,
            }
        )
    return rows


# --- reading -----------------------------------------------------------------


def _programmes(config: EvaluationConfig) -> list[Programme]:
    found = Programme.objects.order_by("code")
    if config.programmes:
        found = found.filter(code__in=config.programmes)
        missing = set(config.programmes) - {p.code for p in found}
        if missing:
            known = ", ".join(Programme.objects.order_by("code").values_list("code", flat=True))
            raise EvaluationError(f"unknown programme {', '.join(sorted(missing))}; known: {known}")
    return list(found)


def _metrics(config: EvaluationConfig) -> list[Metric]:
    found = Metric.objects.order_by("code")
    if config.metrics:
        found = found.filter(code__in=config.metrics)
        missing = set(config.metrics) - {m.code for m in found}
        if missing:
            raise EvaluationError(f"unknown metric {', '.join(sorted(missing))}")
    return list(found)


def steps_with_panels(config: EvaluationConfig) -> Iterator[tuple[_Step, Panel]]:
    """Every programme × metric of a configuration with the panel it reads, in run order."""
    steps = [_Step(p, m) for m in _metrics(config) for p in _programmes(config)]
    return _panels(steps, config)


def _panels(steps: list[_Step], config: EvaluationConfig) -> Iterator[tuple[_Step, Panel]]:
    """Each step's panel, from one read of every metric's values for all programmes."""
    as_of = quarter_index(config.as_of) if config.as_of else None
    units = {}
    metric_ids = sorted({step.metric.pk for step in steps})
    values = quarterly_values_by_metric(metric_ids, as_of, bulk=True) if metric_ids else {}
    for step in steps:
        if step.programme.pk not in units:
            units[step.programme.pk] = members(step.programme.pk)
        yield (
            step,
            programme_panel(
                step.programme.code,
                step.programme.pk,
                step.metric.code,
                values[step.metric.pk],
                units[step.programme.pk],
            ),
        )
