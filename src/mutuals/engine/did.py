"""Staggered difference-in-differences (Callaway & Sant'Anna 2021).

Flow: ``did()`` -> ``DidConfig`` (validated options) -> ``_estimate`` ->
``DidResult``.

The ``diff-diff`` library estimates every ATT(g,t) and its per-unit influence
function (never-treated or not-yet-treated controls; outcome regression, IPW
or doubly robust). With covariates and ``method="dr"`` the cells are
re-estimated with R ``DRDID``'s estimator (see ``did_drdid``: diff-diff 3.13
does not normalise the control weights). All aggregations are then computed
here from the cells' influence functions, following R ``did::aggte`` (see
``did_aggregate`` and ``did_tables``): the simple ATT, event-time effects and
their overall mean over e >= 0, cohort effects and their size-weighted
overall, calendar-period effects and their mean. Analytic standard errors,
or a Rademacher multiplier bootstrap (``bootstrap`` draws, ``seed``) with
uniform sup-t bands per table. The values equal csdid's to 1e-6 on mpdta.

Few treated units: the analytic standard errors treat each cohort's sample
variance as known and use normal critical values, so with a cohort of three
to five spin-outs the 95% intervals cover far less often than 95%.
``small_sample=True`` corrects each cohort's variance share by n/(n-1) and
takes Student t critical values with Welch-Satterthwaite degrees of freedom
per effect (``did_aggregate.small_sample_se``); every table and effect then
reports its ``df``. Off by default, so the figures match R ``did``; the
pre-trend tests below are not affected by it.

No never-treated units: with ``control="notyet"`` the last-treated cohort
becomes the comparison group, as R ``did`` and csdid do. Once it is treated
no unit is left untreated, so the periods from its first treated period on
are left out and no ATT(g,t) is estimated for it; its units serve only as
not-yet-treated controls (``_last_cohort_as_comparison``). With
``control="never"`` the estimate is refused instead.

Cells and cohorts that cannot be estimated: an ATT(g,t) that diff-diff could
not estimate, and a cohort with no estimable post-treatment cell, are left
out of every aggregation (as R ``did::aggte`` does with ``na.rm = TRUE``)
rather than turned into NaN, and ``DidResult.notes`` says which and why.

Pre-trend test: a Wald chi-squared test that every pre-treatment event-time
effect (e < 0) is zero, with their influence-function covariance
(``pretrend``); and the test R ``did`` prints after ``att_gt`` - all
pre-treatment ATT(g,t) jointly zero (``pretrend_cells``).
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import polars as pl

from mutuals.engine import did_aggregate as agg
from mutuals.engine._results import ResultMixin
from mutuals.engine.did_drdid import recompute_cells
from mutuals.engine.did_tables import build_tables, critical_values
from mutuals.engine.did_threads import single_threaded_blas
from mutuals.engine.errors import EmptyCohortError, InvalidOptionError, TooFewPeriodsError
from mutuals.engine.panel import validate_panel

Control = Literal["never", "notyet"]
Method = Literal["dr", "reg", "ipw"]
_CONTROL_NAMES = {"never": "never_treated", "notyet": "not_yet_treated"}


def _check_choice(name: str, value, allowed_type) -> None:
    allowed = get_args(allowed_type)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise InvalidOptionError(f"{name} must be one of {options}; got {value!r}")


@dataclass(frozen=True)
class DidConfig:
    """Options of one staggered DiD estimate, validated on creation."""

    outcome: str
    unit: str
    time: str
    cohort: str
    control: Control = "never"
    covariates: tuple[str, ...] = ()
    method: Method = "dr"
    bootstrap: int = 0
    seed: int | None = None
    alpha: float = 0.05
    small_sample: bool = False

    def __post_init__(self) -> None:
        _check_choice("control", self.control, Control)
        _check_choice("method", self.method, Method)
        if not isinstance(self.bootstrap, int) or self.bootstrap < 0:
            raise InvalidOptionError(
                f"bootstrap must be 0 (analytic standard errors) or a number of draws; "
                f"got {self.bootstrap!r}"
            )
        if 0 < self.bootstrap < 50:
            raise InvalidOptionError(f"use at least 50 bootstrap draws; got {self.bootstrap}")
        if not 0 < self.alpha < 1:
            raise InvalidOptionError(f"alpha must be between 0 and 1; got {self.alpha!r}")
        if not isinstance(self.small_sample, bool):
            raise InvalidOptionError(
                f"small_sample must be True or False; got {self.small_sample!r}"
            )
        if self.small_sample and self.bootstrap:
            raise InvalidOptionError(
                "small_sample corrects the analytic standard errors; use it with bootstrap=0"
            )


@dataclass(frozen=True)
class Effect:
    """One aggregated effect with its confidence interval.

    ``df`` is the degrees of freedom of the interval's Student t critical
    value; infinite (a normal interval) unless ``small_sample`` was asked for.
    """

    att: float
    se: float
    ci_lower: float
    ci_upper: float
    df: float = math.inf


@dataclass(frozen=True)
class WaldTest:
    """A joint chi-squared test that a set of effects are all zero."""

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class DidResult(ResultMixin):
    """Everything one staggered DiD estimate reports.

    Tables: ``att_gt`` (g, t, att, se, df, ci_lower, ci_upper); ``dynamic`` (e, ...,
    band_lower, band_upper when bootstrapped); ``group`` (g, ...);
    ``calendar`` (t, ...). ``notes`` says, in words, what was left out of
    the estimate and why (a cohort turned into the comparison group, cells or
    cohorts that could not be estimated); empty when nothing was.
    """

    config: DidConfig
    att_gt: pl.DataFrame
    simple: Effect
    dynamic: pl.DataFrame
    group: pl.DataFrame
    calendar: pl.DataFrame
    dynamic_overall: Effect
    group_overall: Effect
    calendar_overall: Effect
    pretrend: WaldTest
    pretrend_cells: WaldTest
    band_critical_value: float | None
    notes: tuple[str, ...] = ()

    @property
    def att(self) -> float:
        return self.simple.att

    @property
    def se(self) -> float:
        return self.simple.se

    def confint(self) -> tuple[float, float]:
        return (self.simple.ci_lower, self.simple.ci_upper)

    def tidy(self) -> pl.DataFrame:
        """One row per reported effect: aggregation, label, att, se, interval."""
        rows = [("simple", "overall", self.simple)]
        rows += [("dynamic", "overall (e>=0)", self.dynamic_overall)]
        rows += [("group", "overall", self.group_overall)]
        rows += [("calendar", "overall", self.calendar_overall)]
        head = pl.DataFrame(
            {
                "aggregation": [r[0] for r in rows],
                "label": [r[1] for r in rows],
                "att": [r[2].att for r in rows],
                "se": [r[2].se for r in rows],
                "ci_lower": [r[2].ci_lower for r in rows],
                "ci_upper": [r[2].ci_upper for r in rows],
            }
        )
        parts = [head]
        for name, table, key in (
            ("att_gt", self.att_gt, None),
            ("dynamic", self.dynamic, "e"),
            ("group", self.group, "g"),
            ("calendar", self.calendar, "t"),
        ):
            label = pl.format("g={} t={}", "g", "t") if key is None else pl.col(key).cast(pl.Utf8)
            parts.append(
                table.select(
                    pl.lit(name).alias("aggregation"),
                    label.alias("label"),
                    "att",
                    "se",
                    "ci_lower",
                    "ci_upper",
                )
            )
        return pl.concat(parts)

    def summary(self) -> str:
        """The tidy table, followed by the notes so nothing left out goes unsaid."""
        text = super().summary()
        return "\n".join([text, *(f"Note: {note}" for note in self.notes)])


def did(
    data: pl.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control: Control = "never",
    covariates: tuple[str, ...] | list[str] = (),
    method: Method = "dr",
    bootstrap: int = 0,
    seed: int | None = None,
    alpha: float = 0.05,
    small_sample: bool = False,
) -> DidResult:
    """Callaway & Sant'Anna (2021) staggered DiD on a long, balanced panel.

    ``cohort`` holds each unit's first treated period, 0 for never treated.
    ``bootstrap`` = 0 gives analytic standard errors; N > 0 a multiplier
    bootstrap with N draws (``seed`` for reproducibility) and uniform
    confidence bands (``band_lower``/``band_upper``) for each table.
    ``small_sample`` (analytic only) corrects the standard errors of small
    cohorts and uses Student t intervals (see the module docstring).
    """
    config = DidConfig(
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        control=control,
        covariates=tuple(covariates),
        method=method,
        bootstrap=bootstrap,
        seed=seed,
        alpha=alpha,
        small_sample=small_sample,
    )
    panel, notes = _prepare(data, config)
    with single_threaded_blas():  # see did_threads: a busy machine stalls threaded BLAS
        return _estimate(panel, config, notes)


def _prepare(data: pl.DataFrame, config: DidConfig) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The validated panel to estimate on, and notes on how it was changed."""
    panel = validate_panel(
        data,
        unit=config.unit,
        time=config.time,
        outcome=config.outcome,
        numeric=[config.cohort, *config.covariates],
    )
    _check_cohorts(panel, config)
    return _last_cohort_as_comparison(panel, config)


def _check_cohorts(panel: pl.DataFrame, config: DidConfig) -> None:
    per_unit = panel.group_by(config.unit).agg(pl.col(config.cohort).n_unique().alias("k"))
    if per_unit["k"].max() > 1:
        raise InvalidOptionError(
            f"column {config.cohort!r} must be constant within each unit "
            "(the first treated period, 0 for never treated)"
        )
    periods = panel[config.time].unique().sort()
    if len(periods) < 2:
        raise TooFewPeriodsError(f"the panel has {len(periods)} period(s); at least 2 are needed")
    cohorts = panel[config.cohort].unique()
    treated = cohorts.filter((cohorts != 0) & (cohorts > periods.min()))
    if treated.is_empty():
        raise EmptyCohortError(
            f"no treated cohort has a period before treatment: every value of "
            f"{config.cohort!r} is 0 (never treated) or at or before the first period "
            f"{periods.min()}"
        )
    if config.control == "never" and not (cohorts == 0).any():
        raise EmptyCohortError(
            f"there are no never-treated units ({config.cohort!r} = 0) to compare with; "
            "use control='notyet' to compare with units not yet treated"
        )


def _last_cohort_as_comparison(
    panel: pl.DataFrame, config: DidConfig, anticipation: int = 0
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Without never-treated units, make the last-treated cohort the comparison group.

    With not-yet-treated controls and no never-treated units, nobody is left
    untreated from the last cohort's first treated period on, so that cohort
    has no comparison units and no usable post-treatment cell. R ``did`` and
    csdid then keep only the periods before it is treated (less any
    anticipation; ``DidConfig`` has no anticipation option, so it is 0) and
    compute no ATT(g,t) for it. Its units are recoded here as never treated
    within the kept periods, which is exactly that: they are comparison units
    in every kept period and no cell is estimated for them. Any other panel
    is returned unchanged.
    """
    cohort = pl.col(config.cohort)
    if config.control != "notyet" or (panel[config.cohort] == 0).any():
        return panel, ()
    last = panel[config.cohort].max()
    cutoff = last - anticipation
    left_out = panel.filter(pl.col(config.time) >= cutoff)[config.time].unique().sort()
    kept = panel.filter(pl.col(config.time) < cutoff).with_columns(
        pl.when(cohort == last).then(0).otherwise(cohort).alias(config.cohort)
    )
    n_units = panel.filter(cohort == last)[config.unit].n_unique()
    _require_cohort_treated_within(kept, config, last)
    note = (
        f"There are no never-treated units, so the last-treated cohort (first treated "
        f"in {last}, {n_units} units) serves only as the not-yet-treated comparison "
        f"group, as in R did and csdid: no ATT(g,t) or cohort effect is estimated for "
        f"it. {_left_out_periods(left_out)}"
    )
    return kept, (note,)


def _left_out_periods(periods: pl.Series) -> str:
    if periods.is_empty():
        return "It is first treated after the last period, so no period is left out."
    listed = ", ".join(str(p) for p in periods)
    return (
        f"Once it is treated no unit is left untreated to compare with, so the "
        f"period(s) {listed} are left out."
    )


def _cohorts_treated_within(panel: pl.DataFrame, config: DidConfig) -> pl.Series:
    """Cohorts with at least one period before and one after their treatment."""
    periods = panel[config.time]
    cohorts = panel[config.cohort].unique()
    return cohorts.filter((cohorts != 0) & (cohorts > periods.min()) & (cohorts <= periods.max()))


def _require_cohort_treated_within(kept: pl.DataFrame, config: DidConfig, last) -> None:
    """Refuse when no cohort is left with a period before and after its treatment."""
    if kept.is_empty() or _cohorts_treated_within(kept, config).is_empty():
        raise EmptyCohortError(
            f"there are no never-treated units, so the last-treated cohort (first treated "
            f"in {last}) must be the comparison group and the periods from {last} on are "
            f"left out; no other cohort is then treated within the periods left, "
            f"with a period before its treatment, so there is nothing to estimate"
        )


def _run_diff_diff(panel: pl.DataFrame, config: DidConfig):
    """ATT(g,t) and their influence functions from diff-diff (analytic mode)."""
    from diff_diff import CallawaySantAnna

    estimator = CallawaySantAnna(
        control_group=_CONTROL_NAMES[config.control],
        estimation_method=config.method,
        alpha=config.alpha,
        rank_deficient_action="silent",
    )
    # Only the columns it uses: diff-diff copies the frame it is given (a quarter of
    # its time on a panel with ten metrics).
    used = dict.fromkeys([config.unit, config.time, config.cohort, config.outcome])
    used.update(dict.fromkeys(config.covariates))
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return estimator.fit(
            panel.select(list(used)).to_pandas(),
            outcome=config.outcome,
            unit=config.unit,
            time=config.time,
            first_treat=config.cohort,
            covariates=list(config.covariates) or None,
        )


def _cells(panel: pl.DataFrame, config: DidConfig) -> tuple[agg.Cells, tuple[str, ...]]:
    """The estimable ATT(g,t) cells, and a note naming those that are not."""
    fitted = _run_diff_diff(panel, config)
    effects = fitted.group_time_effects
    keys = [k for k, v in effects.items() if _estimable(v)]
    skipped = [k for k, v in effects.items() if not _estimable(v)]
    cells = agg.cells_from_kit(fitted, keys)
    cohorts = panel.group_by(config.unit, maintain_order=True).agg(pl.col(config.cohort).first())
    if not np.array_equal(cohorts[config.cohort].to_numpy(), cells.unit_cohort):
        raise RuntimeError("diff-diff ordered the units differently from the sorted panel")
    if config.method == "dr" and config.covariates:
        cells = _r_doubly_robust(panel, config, cells, fitted._aggregation_kit)
    return cells, _skipped_cells_notes(skipped, effects)


def _estimable(effect: dict) -> bool:
    """A cell diff-diff estimated, with a finite effect and standard error."""
    return (
        effect.get("skip_reason") is None
        and np.isfinite(effect["effect"])
        and np.isfinite(effect["se"])
    )


_SKIP_REASONS = {
    "missing_period": "a period it needs is not in the panel",
    "zero_treated_control": "it has no treated or no comparison units",
    "zero_weight_mass": "the weights of its treated or comparison units sum to zero",
    "non_finite_regression": "its regression gave no finite estimate",
    "non_finite_estimate": "its estimate or standard error is not finite",
}


def _skipped_cells_notes(skipped: list[tuple], effects: dict) -> tuple[str, ...]:
    """One note per reason, naming the ATT(g,t) cells left out for it."""
    by_reason: dict[str, list[str]] = {}
    for g, t in sorted(skipped):
        code = effects[(g, t)].get("skip_reason") or "non_finite_estimate"
        reason = _SKIP_REASONS.get(code, f"diff-diff could not estimate it ({code})")
        by_reason.setdefault(reason, []).append(f"g={g} t={t}")
    return tuple(
        f"ATT(g,t) left out of every aggregation because {reason}: {', '.join(cells)}."
        for reason, cells in by_reason.items()
    )


def _r_doubly_robust(panel, config, cells, kit) -> agg.Cells:
    periods = np.sort(panel[config.time].unique().to_numpy())
    n_units, n_periods = panel[config.unit].n_unique(), len(periods)
    outcomes = panel[config.outcome].to_numpy().reshape(n_units, n_periods)
    covs = panel.select(config.covariates).to_numpy().reshape(n_units, n_periods, -1)
    return recompute_cells(cells, kit, outcomes, covs.astype(float), periods)


def _estimate(panel: pl.DataFrame, config: DidConfig, notes: tuple[str, ...]) -> DidResult:
    cells, cell_notes = _cells(panel, config)
    _require_post_treatment_cells(cells)
    notes = notes + cell_notes + _cohorts_without_effect_notes(panel, config, cells)
    tables = build_tables(cells, config)
    overall = {name: _effect(*values, config.alpha) for name, values in tables.overall.items()}
    return DidResult(
        config=config,
        att_gt=tables.att_gt,
        simple=overall["simple"],
        dynamic=tables.dynamic,
        group=tables.group,
        calendar=tables.calendar,
        dynamic_overall=overall["dynamic"],
        group_overall=overall["group"],
        calendar_overall=overall["calendar"],
        pretrend=_pretrend_event(tables),
        pretrend_cells=_pretrend_cells(cells),
        band_critical_value=tables.band_critical_value,
        notes=notes,
    )


def _require_post_treatment_cells(cells: agg.Cells) -> None:
    """Every aggregate averages post-treatment cells: without one there is no estimate."""
    if not (cells.time >= cells.group).any():
        raise EmptyCohortError(
            "no post-treatment ATT(g,t) could be estimated for any cohort, "
            "so there is no treatment effect to aggregate"
        )


def _cohorts_without_effect_notes(
    panel: pl.DataFrame, config: DidConfig, cells: agg.Cells
) -> tuple[str, ...]:
    """Name each treated cohort left out of the cohort effects, and say why.

    A cohort with no estimable post-treatment ATT(g,t) has no cohort effect;
    R ``did::aggte`` drops it from the cohort aggregation (``na.rm = TRUE``)
    and so does ``did_tables``, so the overall stays finite and this says so.
    """
    estimated = set(agg.cohorts_with_post_cells(cells).tolist())
    periods = panel[config.time]
    cohorts = panel[config.cohort].unique().sort()
    return tuple(
        f"The cohort first treated in {g} has no cohort effect and is left out of the "
        f"cohort effects and their overall: {_why_no_effect(g, periods)}."
        for g in cohorts
        if g != 0 and g not in estimated
    )


def _why_no_effect(g, periods: pl.Series) -> str:
    if g > periods.max():
        return f"it is first treated after the last period ({periods.max()})"
    if g <= periods.min():
        return f"it is already treated in the first period ({periods.min()})"
    return "none of its post-treatment ATT(g,t) could be estimated"


def _effect(att: float, se: float, df: float, alpha: float) -> Effect:
    att, se = float(att), float(se)
    z = float(critical_values(np.array([df]), alpha)[0])
    return Effect(att=att, se=se, ci_lower=att - z * se, ci_upper=att + z * se, df=float(df))


def _pretrend_event(tables) -> WaldTest:
    pre = (tables.dynamic["e"] < 0).to_numpy()
    estimates = tables.dynamic["att"].to_numpy()[pre]
    return WaldTest(*agg.wald_test(estimates, tables.pretrend_vcov))


def _pretrend_cells(cells: agg.Cells) -> WaldTest:
    pre = cells.time < cells.group
    return WaldTest(*agg.wald_test(cells.att[pre], agg.cells_vcov(cells, pre)))
