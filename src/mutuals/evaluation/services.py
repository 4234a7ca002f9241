"""Impact evaluation runs: from the database, through the engine, to stored results.

One run covers some programmes and metrics (all by default). For each
programme and metric it reads the balanced panel of the programme's members
(:mod:`mutuals.evaluation.panels`) and estimates:

* **difference-in-differences** (Callaway and Sant'Anna, never-treated
  comparators) for every cohort with at least ``min_cohort_units`` spin-outs —
  one result per cohort, from the engine's cohort aggregation, with a cohort
  event study for the charts. Cohorts are often a handful of spin-outs, so
  intervals and p-values use the engine's small-sample correction (cohort
  variances with n - 1, Welch–Satterthwaite t degrees of freedom);
* **synthetic control** with placebo-in-space inference for every single
  provider: each spin-out of a programme evaluated provider by provider (social
  work practices, integrated-care mutuals) and each spin-out whose cohort is
  too small for difference-in-differences. A provider that exited is fitted on
  the quarters it reported. Donors are the comparators observed in every
  quarter of that window, the ``synth_max_donors`` closest to the provider in
  pre-period mean when there are more.

Each result carries a verdict (improved / worsened / no detectable effect /
too early, with when it will be assessable), the evidence grade of the design
achieved and the minimum detectable effect. The smallest effect that matters
is ``effect_threshold`` (default 5%) of the cohort's own pre-period mean.

A run stores its configuration, the code version and a fingerprint of every
panel it read, so re-running it on the same data gives the same numbers and
fingerprint, and any changed observation changes the fingerprint.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl
from django.db import transaction
from django.utils import timezone
from scipy import stats

from mutuals.engine.did import did
from mutuals.engine.errors import EngineError
from mutuals.engine.grade import grade
from mutuals.engine.power import mde, verdict
from mutuals.engine.synth import synth
from mutuals.evaluation.fingerprint import Fingerprint, code_version
from mutuals.evaluation.models import EvaluationResult, EvaluationRun, Method, RunStatus
from mutuals.evaluation.panels import (
    Panel,
    members,
    programme_panel,
    quarterly_values_by_metric,
)
from mutuals.registry.models import Programme, ProgrammeKind
from mutuals.returns.models import Direction, Metric
from mutuals.returns.periods import quarter_from_index, quarter_index

SINGLE_PROVIDER_KINDS = (ProgrammeKind.SOCIAL_WORK_PRACTICES, ProgrammeKind.INTEGRATED_CARE)
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


@dataclass
class _Step:
    programme: Programme
    metric: Metric
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = f"{self.programme.code} × {self.metric.code}"


def create_run(config: EvaluationConfig, *, user=None) -> EvaluationRun:
    """Check the configuration against the catalogue and record a queued run."""
    _programmes(config)
    _metrics(config)
    if config.as_of is not None:
        try:
            quarter_index(config.as_of)
        except ValueError as exc:
            raise EvaluationError(
                f"as of {config.as_of!r}: write a quarter such as 2013-Q1"
            ) from exc
    return EvaluationRun.objects.create(
        configuration=config.to_json(), started_by=user, code_version=code_version()
    )


def start_in_background(run: EvaluationRun) -> None:
    """Run ``mutuals evaluate --run N`` in a separate process; the run's row shows progress."""
    env = dict(os.environ)
    subprocess.Popen(  # noqa: S603 - our own command line, no user text
        [sys.executable, "-m", "mutuals.cli", "evaluate", "--run", str(run.pk), "--quiet"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def execute(run: EvaluationRun, progress: Progress | None = None) -> EvaluationRun:
    """Carry out a queued run, storing its results; failures are recorded on the run."""
    config = EvaluationConfig.from_json(run.configuration)
    programmes = _programmes(config)
    steps = [_Step(p, m) for m in _metrics(config) for p in programmes]
    EvaluationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), steps_total=len(steps), steps_done=0
    )
    version = code_version()
    fingerprint = Fingerprint(run.configuration, version)
    results: list[EvaluationResult] = []
    try:
        for done, (step, panel) in enumerate(_panels(steps, config), start=1):
            fingerprint.add_panel(step.label, panel.frame)
            results += _did_results(run, step, panel, config)
            results += _synth_results(run, step, panel, config, fingerprint)
            EvaluationRun.objects.filter(pk=run.pk).update(steps_done=done)
            if progress:
                progress(done, len(steps), step.label)
    except Exception as exc:
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        raise
    with transaction.atomic():
        EvaluationResult.objects.filter(run=run).delete()
        EvaluationResult.objects.bulk_create(results)
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            finished_at=timezone.now(),
            fingerprint=fingerprint.hexdigest(),
            code_version=version,
        )
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
                "p_value": r.p_value,
                "verdict": r.verdict,
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


# --- difference-in-differences -----------------------------------------------


def _did_results(
    run: EvaluationRun, step: _Step, panel: Panel, config: EvaluationConfig
) -> list[EvaluationResult]:
    frame = panel.frame
    if frame.is_empty() or panel.comparison_units == 0:
        return []
    first, last = frame["time"].min(), frame["time"].max()
    usable = [
        g
        for g, n in panel.cohorts.items()
        if n >= config.min_cohort_units and g - first >= config.min_pre_periods and g <= last
    ]
    if not usable:
        return []
    data = frame.filter(pl.col("cohort").is_in([0, *usable]))
    try:
        result = did(
            data,
            outcome="outcome",
            unit="unit",
            time="time",
            cohort="cohort",
            alpha=config.alpha,
            small_sample=True,
        )
    except EngineError:
        return []
    out = []
    for g in usable:
        row = result.group.filter(pl.col("g") == g).row(0, named=True)
        cohort = data.filter(pl.col("cohort") == g)
        treated = cohort["unit"].n_unique()
        pre, post = g - first, last - g + 1
        baseline = cohort.filter(pl.col("time") < g)["outcome"].mean()
        threshold = _threshold(baseline, cohort["outcome"], config)
        power = mde(
            treated,
            panel.comparison_units,
            pre,
            post,
            se=row["se"],
            alpha=config.alpha,
            df=row["df"],
        )
        judged = _verdict(
            row["att"],
            power.design,
            step.metric,
            threshold,
            (row["ci_lower"], row["ci_upper"]),
            g,
            config,
        )
        graded = grade(
            "difference_in_differences",
            pre_periods=pre,
            pretrend_pvalue=result.pretrend.p_value,
        )
        events = (
            result.att_gt.filter(pl.col("g") == g)
            .with_columns((pl.col("t") - pl.col("g")).alias("e"))
            .select(
                "e",
                "att",
                "se",
                pl.col("ci_lower").alias("ci_low"),
                pl.col("ci_upper").alias("ci_high"),
            )
            .sort("e")
        )
        out.append(
            EvaluationResult(
                run=run,
                programme=step.programme,
                cohort=quarter_from_index(g),
                metric=step.metric,
                method=Method.DID,
                treated_units=treated,
                comparison_units=panel.comparison_units,
                pre_periods=pre,
                post_periods=post,
                att=row["att"],
                se=row["se"],
                ci_low=row["ci_lower"],
                ci_high=row["ci_upper"],
                p_value=_two_sided_p(row["att"], row["se"], row["df"]),
                mde=_finite(judged.mde),
                verdict=judged.verdict,
                assessable_from=_label(judged.ready_at_period)
                if judged.verdict == "too_early"
                else "",
                grade=graded.level,
                grade_reasons=list(graded.reasons),
                details={
                    "event_study": events.to_dicts(),
                    "pretrend_p": result.pretrend.p_value,
                    "threshold": threshold,
                    "reason": judged.reason,
                    "dropped_units": panel.dropped.filter(pl.col("cohort") == g).height,
                },
            )
        )
    return out


def _threshold(baseline: float | None, outcome: pl.Series, config: EvaluationConfig) -> float:
    """The smallest effect that matters: a share of the pre-period mean (or of the spread)."""
    if baseline is not None and abs(baseline) > 0:
        return config.effect_threshold * abs(baseline)
    spread = outcome.std()
    return config.effect_threshold * spread if spread else 1.0


def _verdict(att, design, metric: Metric, threshold, confint, first_post, config):
    direction = (
        "lower_is_better" if metric.direction == Direction.LOWER_IS_BETTER else "higher_is_better"
    )
    judged = verdict(
        att,
        design,
        direction=direction,
        threshold=threshold,
        confint=confint,
        min_post_periods=config.min_post_periods,
        first_post_period=first_post,
    )
    if metric.direction == Direction.NEUTRAL and judged.verdict in ("improved", "worsened"):
        return dataclasses.replace(judged, verdict="increased" if att > 0 else "decreased")
    return judged


# --- synthetic control -------------------------------------------------------


def _synth_results(
    run: EvaluationRun,
    step: _Step,
    panel: Panel,
    config: EvaluationConfig,
    fingerprint: Fingerprint,
) -> list[EvaluationResult]:
    whole = panel.frame
    if whole.is_empty():
        return []
    singles = step.programme.kind in SINGLE_PROVIDER_KINDS
    sizes = panel.cohorts
    candidates = [
        (unit, g)
        for unit, g in panel.frame.filter(pl.col("cohort") > 0)
        .select("unit", "cohort")
        .unique()
        .rows()
        if singles or sizes.get(g, 0) < config.min_cohort_units
    ]
    if singles:
        candidates += [tuple(r) for r in panel.dropped.filter(pl.col("cohort") > 0).rows()]
    out = []
    for unit, g in sorted(candidates):
        fitted = _fit_synth(unit, g, step, panel, config, fingerprint)
        if fitted is not None:
            out.append(_synth_result(run, step, unit, g, *fitted, config))
    return out


def _fit_synth(unit, g, step, panel, config, fingerprint):
    """The provider's window, its donors and the fit; None when too short to fit."""
    own = _unit_rows(panel, unit, step)
    if own.is_empty():
        return None
    first, last = own["time"].min(), own["time"].max()
    pre, post = g - first, last - g + 1
    if pre < config.min_pre_periods or post < 1:
        return None
    donors = _donors(panel, own, first, last, g, config)
    if donors.is_empty():
        return None
    data = pl.concat([own.select("unit", "time", "cohort", "outcome"), donors])
    fingerprint.add_panel(f"{step.label} synth {unit}", data)
    try:
        fit = synth(
            data, outcome="outcome", unit="unit", time="time", treated=unit, start=g, placebo=True
        )
    except EngineError:
        return None
    return fit, own, donors["unit"].n_unique(), pre, post


def _unit_rows(panel: Panel, unit: int, step: _Step) -> pl.DataFrame:
    """A provider's own quarters: from the balanced panel, or its unbroken run if it was dropped."""
    rows = panel.frame.filter(pl.col("unit") == unit)
    if not rows.is_empty():
        return rows
    rows = panel.window.filter(pl.col("unit") == unit)
    # keep the unbroken run of quarters from the first one reported
    rows = rows.sort("time")
    times = rows["time"].to_numpy()
    breaks = np.flatnonzero(np.diff(times) != 1)
    end = breaks[0] + 1 if breaks.size else len(times)
    return rows.head(int(end)).select("unit", "time", "cohort", "outcome")


def _donors(panel: Panel, own: pl.DataFrame, first: int, last: int, g: int, config) -> pl.DataFrame:
    """Comparators complete over the provider's window, the closest by pre-period mean first."""
    window = panel.frame.filter((pl.col("cohort") == 0) & pl.col("time").is_between(first, last))
    quarters = last - first + 1
    counts = window.group_by("unit").agg(pl.len().alias("n"))
    complete = counts.filter(pl.col("n") == quarters)["unit"].implode()
    window = window.filter(pl.col("unit").is_in(complete))
    own_mean = own.filter(pl.col("time") < g)["outcome"].mean()
    closeness = (
        window.filter(pl.col("time") < g)
        .group_by("unit")
        .agg((pl.col("outcome").mean() - own_mean).abs().alias("distance"))
        .sort("distance", "unit")
        .head(config.synth_max_donors)
    )
    return window.filter(pl.col("unit").is_in(closeness["unit"].implode())).select(
        "unit", "time", "cohort", "outcome"
    )


def _synth_result(run, step, unit, g, fit, own, donors, pre, post, config) -> EvaluationResult:
    before = own.filter(pl.col("time") < g)["outcome"]
    spread = before.std() or 0.0
    pre_fit_ok = bool(fit.pre_rmspe <= spread) if spread else fit.pre_rmspe == 0
    graded = grade("synthetic_control", pre_periods=pre, pre_fit_ok=pre_fit_ok)
    threshold = _threshold(before.mean(), own["outcome"], config)
    p = fit.placebo_p
    if post < config.min_post_periods:
        label, ready = "too_early", _label(g + config.min_post_periods - 1)
        reason = f"Too early to assess with {post} post-period(s); needs {config.min_post_periods}."
    elif p is not None and p <= config.alpha and abs(fit.att) >= threshold:
        label, ready = _direction_label(fit.att, step.metric), ""
        reason = f"Placebo p-value {p:.3f}: few comparators show a gap this large."
    else:
        label, ready = "no_detectable_effect", ""
        reason = (
            f"Placebo p-value {p:.3f}: gaps this large are common among comparators."
            if p is not None
            else "No placebo inference was possible."
        )
    weights = fit.weights.filter(pl.col("weight") > 1e-6).sort("weight", descending=True)
    return EvaluationResult(
        run=run,
        programme=step.programme,
        cohort=quarter_from_index(g),
        metric=step.metric,
        method=Method.SYNTH,
        organisation_id=unit,
        treated_units=1,
        comparison_units=donors,
        pre_periods=pre,
        post_periods=post,
        att=fit.att,
        p_value=p,
        verdict=label,
        assessable_from=ready,
        grade=graded.level,
        grade_reasons=list(graded.reasons),
        details={
            "weights": [{"unit": int(u), "weight": float(w)} for u, w in weights.rows()],
            "gaps": [
                {"e": int(t) - g, "gap": float(gap)}
                for t, gap in fit.gaps.select("time", "gap").rows()
            ],
            "pre_rmspe": fit.pre_rmspe,
            "post_rmspe": fit.post_rmspe,
            "threshold": threshold,
            "reason": reason,
        },
    )


def _direction_label(att: float, metric: Metric) -> str:
    if metric.direction == Direction.NEUTRAL:
        return "increased" if att > 0 else "decreased"
    better = (att > 0) == (metric.direction == Direction.HIGHER_IS_BETTER)
    return "improved" if better else "worsened"


# --- small helpers -----------------------------------------------------------


def _label(index: int | None) -> str:
    return quarter_from_index(index) if index is not None else ""


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _two_sided_p(att: float, se: float, df: float) -> float | None:
    """The p-value matching the interval: t with the small-sample degrees of freedom."""
    if not se or not math.isfinite(se):
        return None
    return float(2 * stats.t.sf(abs(att / se), df))
