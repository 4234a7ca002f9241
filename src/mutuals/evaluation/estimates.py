"""What a run estimates: every programme cohort and single provider it considers, per metric.

For one programme and metric (a *step*) the balanced panel
(:mod:`mutuals.evaluation.panels`) gives:

* a **difference-in-differences** estimate (Callaway and Sant'Anna, never-treated
  comparators, the engine's small-sample correction) for every cohort with at
  least ``min_cohort_units`` spin-outs in the balanced panel;
* a **synthetic control** with placebo-in-space inference for every other
  treated provider: each spin-out of a programme evaluated provider by provider
  (social work practices, integrated care), each spin-out whose cohort is too
  small for difference-in-differences, and each provider left out of the
  balanced panel (it exited, or missed a quarter) whose cohort has no
  difference-in-differences row. A provider is fitted on its unbroken run of
  quarters; donors are the comparators observed in every quarter of that
  window, the ``synth_max_donors`` closest in pre-period mean.

Every cohort or provider considered gets an :class:`Estimate`, including those
that cannot be estimated (``unestimated`` says why and whether waiting would
help), so a run's results account for everything it looked at. Estimates are
plain data, JSON-ready, and carry what the verdicts need later — the standard
error and degrees of freedom of a DiD cohort effect, the post-period gaps and
placebo ratios of a synthetic control — because the verdicts depend on the
whole run's multiplicity control (:mod:`mutuals.evaluation.judging`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from mutuals.engine._results import to_plain
from mutuals.engine.did import did
from mutuals.engine.errors import EngineError
from mutuals.engine.grade import grade
from mutuals.engine.synth import synth
from mutuals.evaluation.fingerprint import PanelDigest
from mutuals.evaluation.panels import Panel
from mutuals.registry.models import ProgrammeKind
from mutuals.returns.periods import quarter_from_index

SINGLE_PROVIDER_KINDS = (ProgrammeKind.SOCIAL_WORK_PRACTICES, ProgrammeKind.INTEGRATED_CARE)


@dataclass
class Unestimated:
    """Why a cohort or provider has no estimate: ``cannot_assess`` (waiting would not
    help) or ``too_early`` (it would, from ``ready_at``)."""

    verdict: str
    reason: str
    ready_at: int | None = None


@dataclass
class Estimate:
    """One programme cohort (DiD) or single provider (synthetic control) on one metric."""

    programme_id: int
    metric_id: int
    method: str  # "did" or "synth"
    cohort: int  # first treated quarter index
    organisation_id: int | None = None
    treated_units: int = 0
    comparison_units: int = 0
    pre_periods: int = 0
    post_periods: int = 0
    att: float | None = None
    se: float | None = None
    df: float | None = None
    p_value: float | None = None
    threshold: float | None = None
    placebo: dict | None = None  # post_gaps, pre_rmspe, ratios (without the treated unit)
    grade: int | None = None
    grade_reasons: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    unestimated: Unestimated | None = None

    @property
    def cohort_label(self) -> str:
        return quarter_from_index(self.cohort)

    @property
    def testable(self) -> bool:
        """Whether this estimate is one of the run's tests: it has a p-value its design
        could push below the nominal level (see :mod:`mutuals.evaluation.judging`)."""
        return self.unestimated is None and self.p_value is not None

    def to_json(self) -> dict:
        """Plain JSON (NaN and infinity as null): what a step stores, and all a run's
        verdicts are judged from, whichever process made it."""
        return to_plain(asdict(self))

    @classmethod
    def from_json(cls, data: dict) -> Estimate:
        data = dict(data)
        if data.get("unestimated"):
            data["unestimated"] = Unestimated(**data["unestimated"])
        return cls(**data)


@dataclass(frozen=True)
class Settings:
    """The estimator settings of a run (a subset of the run's configuration)."""

    alpha: float = 0.05
    min_cohort_units: int = 2
    min_post_periods: int = 8
    min_pre_periods: int = 4
    effect_threshold: float = 0.05
    synth_max_donors: int = 200


@dataclass(frozen=True)
class _Step:
    programme_id: int
    metric_id: int
    label: str
    kind: str


@dataclass
class Input:
    """One data set handed to an estimator, exactly as it saw it, with the estimates it
    gives (``None`` data: nothing to fit, the estimates are already unestimated)."""

    label: str
    method: str  # "did" or "synth"
    data: pl.DataFrame | None
    estimates: list[Estimate]


def plan_step(programme, metric, kind: str, panel: Panel, settings: Settings) -> list[Input]:
    """What one programme and metric hands its estimators: the DiD cohorts' panel, then
    each single provider's own quarters with its donors."""
    step = _Step(programme.pk, metric.pk, f"{programme.code} × {metric.code}", kind)
    inputs = _did_inputs(step, panel, settings)
    done = {e.cohort for i in inputs for e in i.estimates}
    return inputs + _synth_inputs(step, panel, settings, done)


def step_digest(label: str, panel: Panel, inputs) -> str:
    """The digest of what a step read: its balanced panel, then each single provider's
    data."""
    digest = PanelDigest()
    digest.add_panel(label, panel.frame)
    for item in inputs:
        if item.method == "synth" and item.data is not None:
            digest.add_panel(item.label, item.data)
    return digest.hexdigest()


def estimate_step(
    programme, metric, kind: str, panel: Panel, settings: Settings
) -> tuple[list[Estimate], str]:
    """Every estimate of one programme and metric (its DiD cohorts, then its single
    providers), and the digest of the data it read."""
    inputs = plan_step(programme, metric, kind, panel, settings)
    digest = step_digest(f"{programme.code} × {metric.code}", panel, inputs)
    estimates = []
    for item in inputs:
        if item.data is not None:
            (_fit_did if item.method == "did" else _fit_synth)(item, settings)
        estimates += item.estimates
    ordered = sorted(estimates, key=lambda e: (e.method != "did", e.cohort, e.organisation_id or 0))
    return ordered, digest


# --- difference-in-differences ---------------------------------------------------------------


def _did_cohorts(panel: Panel, settings: Settings, kind: str) -> list[int]:
    """Cohorts evaluated together: large enough in the balanced panel, in a programme not
    evaluated provider by provider."""
    if kind in SINGLE_PROVIDER_KINDS:
        return []
    return [g for g, n in panel.cohorts.items() if n >= settings.min_cohort_units]


def _did_inputs(step: _Step, panel: Panel, settings: Settings) -> list[Input]:
    cohorts = _did_cohorts(panel, settings, step.kind)
    if not cohorts:
        return []
    frame = panel.frame
    first, last = frame["time"].min(), frame["time"].max()
    comparators = panel.comparison_units
    unusable, usable = [], []
    for g in cohorts:
        base = _did_base(step, panel, g, first, last, comparators)
        base.unestimated = _did_unusable(g, first, last, comparators, settings)
        (unusable if base.unestimated else usable).append(base)
    inputs = [Input(step.label, "did", None, unusable)] if unusable else []
    if usable:
        data = frame.filter(pl.col("cohort").is_in([0, *(e.cohort for e in usable)]))
        inputs.append(Input(step.label, "did", data, usable))
    return inputs


def _did_base(step: _Step, panel: Panel, g: int, first: int, last: int, comparators: int):
    treated = panel.cohorts[g]
    return Estimate(
        programme_id=step.programme_id,
        metric_id=step.metric_id,
        method="did",
        cohort=g,
        treated_units=treated,
        comparison_units=comparators,
        pre_periods=max(0, g - first),
        post_periods=max(0, last - g + 1),
        details={"dropped_units": panel.dropped.filter(pl.col("cohort") == g).height},
    )


def _did_unusable(g, first, last, comparators, settings: Settings) -> Unestimated | None:
    if g > last:
        return Unestimated(
            "too_early",
            f"The cohort spun out in {quarter_from_index(g)}, after the last "
            f"quarter of returns used ({quarter_from_index(last)}).",
            g + settings.min_post_periods - 1,
        )
    if g - first < settings.min_pre_periods:
        return Unestimated(
            "cannot_assess",
            f"Returns begin only {g - first} quarter(s) before the spin-out and "
            f"at least {settings.min_pre_periods} are needed to compare trends before it; "
            "waiting will not add earlier quarters.",
        )
    if comparators == 0:
        return Unestimated(
            "cannot_assess",
            "No in-house comparator returned this metric in every quarter, "
            "so there is nothing to compare with; comparators' returns for the whole period "
            "are needed.",
        )
    return None


def _fit_did(item: Input, settings: Settings) -> None:
    try:
        result = did(
            item.data, outcome="outcome", unit="unit", time="time", cohort="cohort",
            alpha=settings.alpha, small_sample=True,
        )  # fmt: skip
    except EngineError as error:
        for estimate in item.estimates:
            estimate.unestimated = Unestimated("cannot_assess", str(error))
        return
    for estimate in item.estimates:
        _fill_did(estimate, result, item.data, settings)


def _fill_did(estimate: Estimate, result, data: pl.DataFrame, settings: Settings) -> None:
    g = estimate.cohort
    rows = result.group.filter(pl.col("g") == g)
    row = rows.row(0, named=True) if rows.height else None
    if row is None or not _finite(row["att"], row["se"]):
        estimate.unestimated = Unestimated(
            "cannot_assess",
            "The comparison gives no usable estimate for this cohort (no "
            "comparator was observed in the quarters it would be compared in).",
        )
        return
    cohort = data.filter(pl.col("cohort") == g)
    baseline = cohort.filter(pl.col("time") < g)["outcome"].mean()
    estimate.threshold = threshold(baseline, cohort["outcome"], settings)
    estimate.att, estimate.se, estimate.df = row["att"], row["se"], row["df"]
    estimate.p_value = two_sided_p(row["att"], row["se"], row["df"])
    graded = grade(
        "difference_in_differences",
        pre_periods=estimate.pre_periods,
        pretrend_pvalue=result.pretrend.p_value,
    )
    estimate.grade, estimate.grade_reasons = graded.level, list(graded.reasons)
    events = (
        result.att_gt.filter(pl.col("g") == g)
        .with_columns((pl.col("t") - pl.col("g")).alias("e"))
        .select("e", "att", "se", pl.col("ci_lower").alias("ci_low"),
                pl.col("ci_upper").alias("ci_high"))
        .sort("e")
    )  # fmt: skip
    estimate.details.update(
        event_study=events.to_dicts(),
        pretrend_p=result.pretrend.p_value,
        se_analytic=row.get("se_analytic"),
        df=row["df"],
    )


# --- synthetic control -------------------------------------------------------------------------


def _synth_candidates(panel: Panel, settings: Settings, kind: str, done: set[int]):
    """(unit, cohort) of every treated provider not in a DiD cohort row."""
    singles = kind in SINGLE_PROVIDER_KINDS
    sizes = panel.cohorts
    balanced = {
        (unit, g)
        for unit, g in panel.frame.filter(pl.col("cohort") > 0)
        .select("unit", "cohort")
        .unique()
        .rows()
        if singles or sizes.get(g, 0) < settings.min_cohort_units
    }
    dropped = {
        (unit, g)
        for unit, g in panel.dropped.filter(pl.col("cohort") > 0).rows()
        if singles or g not in done
    }
    return sorted(balanced | dropped)


def _synth_inputs(step, panel, settings, done) -> list[Input]:
    if panel.window.is_empty():
        return []
    return [
        _synth_input(step, unit, g, panel, settings)
        for unit, g in _synth_candidates(panel, settings, step.kind, done)
    ]


def _synth_input(step, unit, g, panel: Panel, settings: Settings) -> Input:
    own = _unit_rows(panel, unit, g)
    first, last = own["time"].min(), own["time"].max()
    estimate = Estimate(
        programme_id=step.programme_id,
        metric_id=step.metric_id,
        method="synth",
        cohort=g,
        organisation_id=unit,
        treated_units=1,
        pre_periods=max(0, g - first),
        post_periods=max(0, last - g + 1),
    )
    donors = _donors(panel, own, first, last, g, settings)
    estimate.comparison_units = donors["unit"].n_unique()
    label = f"{step.label} synth {unit}"
    estimate.unestimated = _synth_unusable(estimate, first, last, settings)
    if estimate.unestimated is not None:
        return Input(label, "synth", None, [estimate])
    data = pl.concat([own.select("unit", "time", "cohort", "outcome"), donors])
    return Input(label, "synth", data, [estimate])


def _fit_synth(item: Input, settings: Settings) -> None:
    (estimate,) = item.estimates
    try:
        fit = synth(
            item.data, outcome="outcome", unit="unit", time="time",
            treated=estimate.organisation_id, start=estimate.cohort, placebo=True,
        )  # fmt: skip
    except EngineError as error:
        estimate.unestimated = Unestimated("cannot_assess", str(error))
        return
    own = item.data.filter(pl.col("unit") == estimate.organisation_id)
    _fill_synth(estimate, fit, own, settings)


def _synth_unusable(estimate: Estimate, first, last, settings: Settings) -> Unestimated | None:
    g = estimate.cohort
    if g > last:
        return Unestimated(
            "too_early",
            f"No returns since the spin-out in {quarter_from_index(g)} yet (the "
            f"last used is {quarter_from_index(last)}).",
            g + settings.min_post_periods - 1,
        )
    if estimate.pre_periods < settings.min_pre_periods:
        return Unestimated(
            "cannot_assess",
            f"The provider's unbroken returns begin {estimate.pre_periods} "
            f"quarter(s) before its spin-out and at least {settings.min_pre_periods} are "
            "needed to build its synthetic control; waiting will not add earlier quarters.",
        )
    if estimate.comparison_units == 0:
        return Unestimated(
            "cannot_assess",
            f"No comparator returned this metric in every quarter from "
            f"{quarter_from_index(first)} to {quarter_from_index(last)}, the provider's window; "
            "comparators with complete returns are needed.",
        )
    return None


def _fill_synth(estimate: Estimate, fit, own: pl.DataFrame, settings: Settings) -> None:
    g = estimate.cohort
    before = own.filter(pl.col("time") < g)["outcome"]
    spread = before.std() or 0.0
    pre_fit_ok = bool(fit.pre_rmspe <= spread) if spread else fit.pre_rmspe == 0
    graded = grade("synthetic_control", pre_periods=estimate.pre_periods, pre_fit_ok=pre_fit_ok)
    estimate.grade, estimate.grade_reasons = graded.level, list(graded.reasons)
    estimate.threshold = threshold(before.mean(), own["outcome"], settings)
    estimate.att, estimate.p_value = fit.att, fit.placebo_p
    post = fit.gaps.filter(pl.col("time") >= g)
    estimate.placebo = {
        "post_gaps": post["gap"].to_list(),
        "pre_rmspe": fit.pre_rmspe,
        "ratios": fit.placebo["ratio"][1:].to_list(),
    }
    weights = fit.weights.filter(pl.col("weight") > 1e-6).sort("weight", descending=True)
    estimate.details = {
        "weights": [{"unit": int(u), "weight": float(w)} for u, w in weights.rows()],
        "gaps": [
            {"e": int(t) - g, "gap": float(gap)} for t, gap in fit.gaps.select("time", "gap").rows()
        ],
        "pre_rmspe": fit.pre_rmspe,
        "post_rmspe": fit.post_rmspe,
    }


def _unit_rows(panel: Panel, unit: int, g: int) -> pl.DataFrame:
    """A provider's own quarters: from the balanced panel or, if it was left out (it exited
    or missed a quarter), its unbroken run of quarters through its spin-out (else the last
    run before it, else its first)."""
    rows = panel.frame.filter(pl.col("unit") == unit)
    if not rows.is_empty():
        return rows
    rows = panel.window.filter(pl.col("unit") == unit).sort("time")
    times = rows["time"].to_numpy()
    starts = np.concatenate([[0], np.flatnonzero(np.diff(times) != 1) + 1])
    ends = np.append(starts[1:], len(times))
    runs = list(zip(starts.tolist(), ends.tolist(), strict=True))
    through = [r for r in runs if times[r[0]] <= g <= times[r[1] - 1]]
    before = [r for r in runs if times[r[0]] < g]
    start, end = (through or before[-1:] or runs)[0]
    return rows.slice(start, end - start).select("unit", "time", "cohort", "outcome")


def _donors(
    panel: Panel, own: pl.DataFrame, first: int, last: int, g: int, settings
) -> pl.DataFrame:
    """Comparators complete over the provider's window, the closest by pre-period mean first."""
    window = panel.frame.filter((pl.col("cohort") == 0) & pl.col("time").is_between(first, last))
    quarters = last - first + 1
    counts = window.group_by("unit").agg(pl.len().alias("n"))
    complete = counts.filter(pl.col("n") == quarters)["unit"].implode()
    window = window.filter(pl.col("unit").is_in(complete))
    own_mean = own.filter(pl.col("time") < g)["outcome"].mean()
    if own_mean is None:
        return window.clear().select("unit", "time", "cohort", "outcome")
    closeness = (
        window.filter(pl.col("time") < g)
        .group_by("unit")
        .agg((pl.col("outcome").mean() - own_mean).abs().alias("distance"))
        .sort("distance", "unit")
        .head(settings.synth_max_donors)
    )
    return window.filter(pl.col("unit").is_in(closeness["unit"].implode())).select(
        "unit", "time", "cohort", "outcome"
    )


# --- small helpers ---------------------------------------------------------------------------


def threshold(baseline: float | None, outcome: pl.Series, settings: Settings) -> float:
    """The smallest effect that matters: a share of the pre-period mean (or of the spread)."""
    if baseline is not None and abs(baseline) > 0:
        return settings.effect_threshold * abs(baseline)
    spread = outcome.std()
    return settings.effect_threshold * spread if spread else 1.0


def two_sided_p(att: float, se: float, df: float) -> float | None:
    """The p-value matching the interval: t with the small-sample degrees of freedom."""
    from scipy import stats

    if not se or not math.isfinite(se):
        return None
    return float(2 * stats.t.sf(abs(att / se), df))


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)
