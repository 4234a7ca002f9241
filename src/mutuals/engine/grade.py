"""Evidence grade on the Maryland Scientific Methods Scale (SMS).

What Works centres shortlist evaluations at level 3 and above, so the grade
decides whether an impact estimate counts as evidence. The grade is of the
design *actually achieved*, not the one planned: a difference-in-differences
whose pre-trend test rejects parallel trends, or whose matched comparators
are still unbalanced, is graded 2, with the reason stated.

    1  before/after or cross-section, no comparison group
    2  comparison group or matching, but no before/after (or a level-3
       design whose comparison group is not justified)
    3  before/after with a justified comparison group: DiD or synthetic
       control, enough pre-periods, pre-trends not rejected (synthetic
       control: acceptable pre-period fit), balance acceptable
    4  instrumental variables or regression discontinuity
    5  randomised controlled trial

Defaults (3 pre-periods, α = 0.05 for the pre-trend test, |SMD| ≤ 0.25 —
Stuart's (2010) rule of thumb for adequate balance) are documented choices,
configurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import polars as pl

from mutuals.engine._results import ResultMixin
from mutuals.engine.errors import InvalidOptionError

DesignKind = Literal[
    "before_after", "cross_section", "comparison_post_only", "matched_comparison",
    "difference_in_differences", "synthetic_control", "instrumental_variables",
    "regression_discontinuity", "randomised_trial",
]  # fmt: skip
LEVEL_NAMES = {
    1: "no comparison group",
    2: "comparison group, no justified before/after comparison",
    3: "before/after with a justified comparison group",
    4: "quasi-random variation (IV or RD)",
    5: "randomised trial",
}
_BEFORE_AFTER_WITH_CONTROLS = ("difference_in_differences", "synthetic_control")


@dataclass(frozen=True)
class DesignDescription:
    """What was actually done, in the few facts the grade depends on."""

    kind: DesignKind
    has_comparison_group: bool = False
    pre_periods: int = 0
    pretrend_pvalue: float | None = None
    pre_fit_ok: bool | None = None
    max_abs_smd: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in get_args(DesignKind):
            raise InvalidOptionError(
                f"kind={self.kind!r} is not a design Mutuals knows; use one of "
                f"{', '.join(get_args(DesignKind))}."
            )


@dataclass(frozen=True)
class GradeConfig:
    min_pre_periods: int = 3
    pretrend_alpha: float = 0.05
    max_smd: float = 0.25


@dataclass(frozen=True)
class GradeResult(ResultMixin):
    level: int
    reasons: tuple[str, ...]
    design: DesignDescription
    config: GradeConfig

    @property
    def label(self) -> str:
        return f"Level {self.level}: {LEVEL_NAMES[self.level]}"

    @property
    def shortlisted(self) -> bool:
        """What Works centres shortlist level 3 and above."""
        return self.level >= 3

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({
            "level": [self.level], "label": [self.label], "kind": [self.design.kind],
            "shortlisted": [self.shortlisted], "reasons": ["; ".join(self.reasons)],
        })  # fmt: skip


def grade(
    kind: DesignKind,
    *,
    has_comparison_group: bool | None = None,
    pre_periods: int = 0,
    pretrend_pvalue: float | None = None,
    pre_fit_ok: bool | None = None,
    max_abs_smd: float | None = None,
    min_pre_periods: int = 3,
    pretrend_alpha: float = 0.05,
    max_smd: float = 0.25,
) -> GradeResult:
    """Maryland SMS level (1–5) of the design used, with the reasons.

    ``has_comparison_group`` defaults to what the kind implies (True except
    for before/after and cross-section designs).
    """
    if has_comparison_group is None:
        has_comparison_group = kind not in ("before_after", "cross_section")
    design = DesignDescription(
        kind, has_comparison_group, pre_periods, pretrend_pvalue, pre_fit_ok, max_abs_smd
    )
    return assess(design, GradeConfig(min_pre_periods, pretrend_alpha, max_smd))


def assess(design: DesignDescription, config: GradeConfig) -> GradeResult:
    """Grade a described design: the highest level it earns, then downgrades."""
    if design.kind == "randomised_trial":
        level, reasons = 5, ["Randomised assignment to treatment."]
    elif design.kind in ("instrumental_variables", "regression_discontinuity"):
        level, reasons = 4, [f"Quasi-random variation ({design.kind.replace('_', ' ')})."]
    elif not design.has_comparison_group:
        level, reasons = 1, ["No comparison group: changes cannot be separated from trends."]
    elif design.kind in _BEFORE_AFTER_WITH_CONTROLS:
        problems = _comparison_problems(design, config)
        level = 2 if problems else 3
        reasons = problems or ["Before/after comparison against a justified comparison group."]
    else:
        level = 2
        reasons = ["Comparison group without a before/after comparison."]
    return GradeResult(level, tuple(reasons), design, config)


def _comparison_problems(design: DesignDescription, config: GradeConfig) -> list[str]:
    """Reasons a DiD / synthetic control comparison group is not justified."""
    problems = []
    if design.pre_periods < config.min_pre_periods:
        problems.append(
            f"Only {design.pre_periods} pre-period(s); at least {config.min_pre_periods} are "
            "needed to check the comparison group tracked the treated units."
        )
    if design.pretrend_pvalue is not None:
        if design.pretrend_pvalue < config.pretrend_alpha:
            problems.append(
                f"The pre-trend test rejects parallel trends (p = {design.pretrend_pvalue:.3g} "
                f"< {config.pretrend_alpha:g})."
            )
    elif design.kind == "synthetic_control" and design.pre_fit_ok is not None:
        if not design.pre_fit_ok:
            problems.append("The synthetic control does not fit the pre-period well.")
    else:
        problems.append("No pre-trend test (or pre-period fit) was reported.")
    if design.max_abs_smd is not None and design.max_abs_smd > config.max_smd:
        problems.append(
            f"Comparators are poorly balanced (max |SMD| {design.max_abs_smd:.2f} "
            f"> {config.max_smd:g})."
        )
    return [f"Downgraded to level 2: {p}" for p in problems]
