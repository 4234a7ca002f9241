"""From a run's estimates to its verdicts: one family of tests, one multiplicity control.

A run judges every programme × cohort × metric and single provider × metric at
once, so its verdicts are judged together:

1. **The family** is every estimate with a p-value. A synthetic control's
   placebo test is discrete: with J comparators it can give no p-value below
   1 / (J + 1). Tests that could never be findings at the run's level are not
   counted (Tarone's rule, :mod:`mutuals.engine.multiplicity`) and are
   ``cannot_assess``, saying how many comparators would be needed.
2. **Multiplicity control**: the Benjamini–Hochberg procedure over the counted
   tests keeps the expected share of false findings at or below α; every
   interval is then built at the level that procedure implies (Benjamini and
   Yekutieli's adjusted intervals), so an interval is clear of zero exactly
   when its test is a finding.
3. **Verdicts** from those intervals (:func:`mutuals.engine.power.verdict` and
   :func:`~mutuals.engine.power.placebo_verdict`): improved / worsened /
   no effect that matters / inconclusive / too early (from when) / cannot
   assess (and what would help). A metric where neither direction is better
   reads increased / decreased instead of improved / worsened.

The raw and adjusted p-values, the interval level and the unadjusted 95%
interval are stored with each result, and the run stores how many tests it
made and how many "findings" chance alone would give at α without the control.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import stats

from mutuals.engine.multiplicity import METHOD_NAMES, MultiplicityResult, control
from mutuals.engine.power import mde, placebo_verdict, verdict
from mutuals.engine.synth import placebo_interval
from mutuals.evaluation.estimates import Estimate
from mutuals.evaluation.models import EvaluationResult, EvaluationRun
from mutuals.returns.models import Direction, Metric
from mutuals.returns.periods import quarter_from_index

NOMINAL_LEVEL = 0.95
NEUTRAL_WORDS = {"improved": "increased", "worsened": "decreased"}


@dataclass(frozen=True)
class Judged:
    """A run's results ready to save, and the multiplicity control they were judged under."""

    results: list[EvaluationResult]
    multiplicity: MultiplicityResult
    not_counted: int

    def summary(self) -> dict:
        m = self.multiplicity
        return {
            "method": m.method,
            "method_name": METHOD_NAMES[m.method],
            "alpha": m.alpha,
            "tests": m.tests,
            "findings": m.findings,
            "interval_level": 1 - m.interval_alpha,
            "expected_by_chance": m.expected_by_chance,
            "not_counted": self.not_counted,
        }


def smallest_p(estimate: Estimate) -> float:
    """The smallest p-value the estimate's test can give: 1 / (J + 1) for a placebo test
    with J comparators, 0 for a difference-in-differences t-test."""
    return 1 / (estimate.comparison_units + 1) if estimate.method == "synth" else 0.0


def judge(
    run: EvaluationRun, estimates: Iterable[Estimate], metrics: dict[int, Metric], config
) -> Judged:
    """Verdicts for every estimate of ``run`` under one multiplicity control."""
    estimates = list(estimates)
    tested = [e for e in estimates if e.testable]
    control_result = control(
        [e.p_value for e in tested], smallest_p=[smallest_p(e) for e in tested], alpha=config.alpha
    )
    levels = {}
    for e, counted, p in zip(tested, control_result.counted, control_result.adjusted, strict=True):
        if counted:
            levels[id(e)] = (1 - control_result.interval_alpha, float(p))
        else:  # judged at the bound it could not reach: it is not a test of this run
            levels[id(e)] = (1 - control_result.counting_alpha, None)
    results = [
        _result(run, e, metrics[e.metric_id], config, *levels.get(id(e), (None, None)),
                control_result.tests)
        for e in estimates
    ]  # fmt: skip
    return Judged(results, control_result, control_result.not_counted)


def _result(run, e: Estimate, metric: Metric, config, level, p_adjusted, tests) -> EvaluationResult:
    row = EvaluationResult(
        run=run,
        programme_id=e.programme_id,
        cohort=e.cohort_label,
        metric=metric,
        method=e.method,
        organisation_id=e.organisation_id,
        treated_units=e.treated_units,
        comparison_units=e.comparison_units,
        pre_periods=e.pre_periods,
        post_periods=e.post_periods,
        grade=e.grade,
        grade_reasons=list(e.grade_reasons),
        details={**e.details, "threshold": e.threshold},
    )
    if e.unestimated is not None:
        row.verdict = e.unestimated.verdict
        row.reason = e.unestimated.reason
        row.assessable_from = _label(e.unestimated.ready_at)
        row.details["reason"] = row.reason
        return row
    row.att, row.se, row.p_value, row.p_value_adjusted = e.att, e.se, e.p_value, p_adjusted
    judged = _did_verdict(e, metric, config, level) if e.method == "did" else None
    if judged is None:
        judged = _synth_verdict(e, metric, config, level, tests)
    low, high = judged.confint
    row.ci_low, row.ci_high = _finite(low), _finite(high)
    row.ci_level = level if row.ci_low is not None else None
    row.mde = _finite(judged.mde)
    row.verdict = _worded(judged.verdict, metric)
    row.reason = judged.reason
    row.below_threshold = judged.below_threshold
    row.assessable_from = _label(judged.ready_at_period) if judged.verdict == "too_early" else ""
    row.details["reason"] = row.reason
    row.details["unadjusted"] = _unadjusted(e, config)
    if judged.comparators_needed is not None:
        row.details["comparators_needed"] = judged.comparators_needed
    return row


def _direction(metric: Metric) -> str:
    return (
        "lower_is_better" if metric.direction == Direction.LOWER_IS_BETTER else "higher_is_better"
    )


def _did_verdict(e: Estimate, metric: Metric, config, level: float):
    critical = float(stats.t.ppf(1 - (1 - level) / 2, e.df))
    confint = (e.att - critical * e.se, e.att + critical * e.se)
    power = mde(
        e.treated_units, e.comparison_units, e.pre_periods, e.post_periods,
        se=e.se, alpha=config.alpha, df=e.df,
    )  # fmt: skip
    return verdict(
        e.att,
        power.design,
        direction=_direction(metric),
        threshold=e.threshold,
        confint=confint,
        level=level,
        min_post_periods=config.min_post_periods,
        first_post_period=e.cohort,
        unit=metric.unit,
    )


def _synth_verdict(e: Estimate, metric: Metric, config, level: float, tests: int):
    placebo = e.placebo
    confint = placebo_interval(
        placebo["post_gaps"], placebo["pre_rmspe"], placebo["ratios"], 1 - level
    )
    return placebo_verdict(
        e.att,
        confint,
        p_value=e.p_value,
        donors=e.comparison_units,
        direction=_direction(metric),
        threshold=e.threshold,
        post_periods=e.post_periods,
        alpha=config.alpha,
        level=level,
        min_post_periods=config.min_post_periods,
        first_post_period=e.cohort,
        unit=metric.unit,
        tests=tests,
    )


def _unadjusted(e: Estimate, config) -> dict | None:
    """The estimate's own 95% interval, before the run's multiplicity control."""
    if e.method == "did":
        critical = float(stats.t.ppf(1 - (1 - NOMINAL_LEVEL) / 2, e.df))
        low, high = e.att - critical * e.se, e.att + critical * e.se
    else:
        placebo = e.placebo
        bounds = placebo_interval(
            placebo["post_gaps"], placebo["pre_rmspe"], placebo["ratios"], 1 - NOMINAL_LEVEL
        )
        low, high = bounds if bounds is not None else (math.nan, math.nan)
    return {"ci_low": _finite(low), "ci_high": _finite(high), "level": NOMINAL_LEVEL}


def _worded(label: str, metric: Metric) -> str:
    if metric.direction == Direction.NEUTRAL:
        return NEUTRAL_WORDS.get(label, label)
    return label


def _label(index: int | None) -> str:
    return quarter_from_index(index) if index is not None else ""


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
