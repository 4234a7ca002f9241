"""NHS Staff Survey engagement score, and its link with outcomes.

Advocates of mutuals cite evidence that engaged staff deliver better care.
Mutuals measures engagement the way the NHS Staff Survey does and estimates
the engagement → outcome association on the portfolio's own panel.

Score. Nine items on a 1–5 agreement scale (strongly disagree … strongly
agree), in three sub-scores. Expected response columns:

    motivation   q_look_forward      I look forward to going to work
                 q_enthusiastic      I am enthusiastic about my job
                 q_time_passes       Time passes quickly when I am working
    involvement  q_initiative        Opportunities to show initiative in my role
                 q_suggestions       Able to make suggestions to improve my team's work
                 q_improvements      Able to make improvements happen in my area
    advocacy     q_care_priority     Care of patients/service users is the top priority
                 q_recommend_work    Would recommend my organisation as a place to work
                 q_standard_of_care  Happy with the standard of care for a friend/relative

Each answer maps 1→0, 2→2.5, 3→5, 4→7.5, 5→10 (score = 2.5 × (answer − 1)).
A respondent's sub-score is the mean of the items they answered in it; a
group's sub-score is the mean over its respondents; engagement is the mean
of the group's three sub-scores (0–10).

Suppression. Groups with fewer respondents (people who answered at least
one item) than ``min_respondents`` (default 11, a common survey rule — a
configurable choice) are removed; only how many were removed is reported,
never their values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from mutuals.engine._results import ResultMixin, require_columns
from mutuals.engine.errors import (
    InvalidOptionError,
    NoVariationError,
    TooFewPeriodsError,
    ValueOutOfRangeError,
)

ENGAGEMENT_ITEMS: Mapping[str, tuple[str, str, str]] = {
    "motivation": ("q_look_forward", "q_enthusiastic", "q_time_passes"),
    "involvement": ("q_initiative", "q_suggestions", "q_improvements"),
    "advocacy": ("q_care_priority", "q_recommend_work", "q_standard_of_care"),
}
CAVEAT = (
    "This is an association, not proof of cause: organisations whose engagement rose may "
    "differ in other ways that also changed over time. Unit and year effects remove fixed "
    "differences between organisations and shocks common to a year, nothing more."
)


@dataclass(frozen=True)
class EngagementConfig:
    by: tuple[str, ...]
    min_respondents: int = 11
    items: tuple[tuple[str, tuple[str, ...]], ...] = tuple(ENGAGEMENT_ITEMS.items())

    def __post_init__(self) -> None:
        if self.min_respondents < 1:
            raise InvalidOptionError("min_respondents must be at least 1.")

    @property
    def item_columns(self) -> list[str]:
        return [c for _, cols in self.items for c in cols]


@dataclass(frozen=True)
class EngagementResult(ResultMixin):
    """Scores of groups large enough to publish, and how many were suppressed."""

    scores: pl.DataFrame
    suppressed_groups: int
    config: EngagementConfig

    def tidy(self) -> pl.DataFrame:
        return self.scores


def engagement_scores(
    responses: pl.DataFrame,
    *,
    by: str | Sequence[str],
    min_respondents: int = 11,
    items: Mapping[str, Sequence[str]] | None = None,
) -> EngagementResult:
    """Engagement and sub-scores (0–10) per group of ``by`` (e.g. organisation, year).

    ``responses`` has one row per respondent with the nine item columns
    (answers 1–5, missing when not answered). ``items`` may rename the
    columns per sub-score; the default is :data:`ENGAGEMENT_ITEMS`.
    """
    chosen = ENGAGEMENT_ITEMS if items is None else items
    config = EngagementConfig(
        (by,) if isinstance(by, str) else tuple(by),
        min_respondents,
        tuple((name, tuple(cols)) for name, cols in chosen.items()),
    )
    return _score(responses, config)


def _score(responses: pl.DataFrame, cfg: EngagementConfig) -> EngagementResult:
    require_columns(responses, [*cfg.by, *cfg.item_columns], numeric=cfg.item_columns)
    _check_answers(responses, cfg.item_columns)
    subscores = [name for name, _ in cfg.items]
    per_person = responses.select(
        *cfg.by,
        *(
            pl.mean_horizontal([(pl.col(c) - 1) * 2.5 for c in cols]).alias(name)
            for name, cols in cfg.items
        ),
    ).filter(pl.any_horizontal(pl.col(subscores).is_not_null()))
    groups = per_person.group_by(cfg.by, maintain_order=True).agg(
        pl.len().alias("respondents"), *(pl.col(s).mean() for s in subscores)
    )
    groups = groups.with_columns(engagement=pl.mean_horizontal(subscores)).sort(cfg.by)
    shown = groups.filter(pl.col("respondents") >= cfg.min_respondents)
    return EngagementResult(shown, groups.height - shown.height, cfg)


def _check_answers(responses: pl.DataFrame, columns: list[str]) -> None:
    for name in columns:
        bad = responses.filter(~pl.col(name).is_in([1, 2, 3, 4, 5]) & pl.col(name).is_not_null())
        if bad.height:
            raise ValueOutOfRangeError(
                f"Column {name!r} holds {bad[name][0]!r}; answers must be 1–5 or left empty."
            )


@dataclass(frozen=True)
class EngagementLinkResult(ResultMixin):
    """Within-unit association of an outcome with engagement."""

    outcome: str
    coef: float
    se: float
    pvalue: float
    confint: tuple[float, float]
    nobs: int
    n_units: int
    caveat: str = CAVEAT

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({
            "term": ["engagement"], "outcome": [self.outcome], "estimate": [self.coef],
            "std_error": [self.se], "p_value": [self.pvalue], "ci_low": [self.confint[0]],
            "ci_high": [self.confint[1]], "nobs": [self.nobs], "n_units": [self.n_units],
        })  # fmt: skip

    def summary(self) -> str:
        return (
            f"A 1-point higher engagement score goes with {self.coef:+.3g} in {self.outcome} "
            f"(95% CI {self.confint[0]:.3g} to {self.confint[1]:.3g}; {self.nobs} observations, "
            f"{self.n_units} units). {self.caveat}"
        )


def engagement_link(
    panel: pl.DataFrame,
    *,
    outcome: str,
    engagement: str = "engagement",
    unit: str = "unit",
    time: str = "year",
) -> EngagementLinkResult:
    """Regress ``outcome`` on engagement with unit and time fixed effects.

    Standard errors are cluster-robust by unit (CRV1), as observations of one
    organisation over years are not independent. Rows with a missing or non-finite
    value are left out, then (repeatedly) rows alone in their unit or year, which fixed
    effects fit exactly. Estimated with statsmodels, with fixest's small-sample
    correction, so the numbers are pyfixest's ``feols`` (the tests check them against it).
    """
    require_columns(panel, [outcome, engagement, unit, time], numeric=[outcome, engagement])
    for name in (outcome, engagement, unit, time):
        if not name.isidentifier():
            raise InvalidOptionError(f"Column name {name!r} must be a plain identifier (a_b1).")
    data = estimation_sample(panel, outcome=outcome, engagement=engagement, unit=unit, time=time)
    n_units = data[unit].n_unique()
    if n_units < 3 or data[time].n_unique() < 2:
        raise TooFewPeriodsError("The link needs at least 3 units observed in at least 2 years.")
    coef, se, pvalue, confint = _two_way_crv1(data, outcome, engagement, unit, time)
    return EngagementLinkResult(
        outcome=outcome, coef=coef, se=se, pvalue=pvalue, confint=confint,
        nobs=data.height, n_units=n_units,
    )  # fmt: skip


def estimation_sample(
    panel: pl.DataFrame,
    *,
    outcome: str,
    engagement: str = "engagement",
    unit: str = "unit",
    time: str = "year",
) -> pl.DataFrame:
    """The rows :func:`engagement_link` estimates from: those with finite values, less
    (repeatedly) any alone in its unit or year. Counts and charts of an estimate use these."""
    return _without_singletons(
        panel.select(unit, time, outcome, engagement)
        .drop_nulls()
        .filter(pl.col(outcome).is_finite() & pl.col(engagement).is_finite()),
        unit,
        time,
    )


def _without_singletons(data: pl.DataFrame, unit: str, time: str) -> pl.DataFrame:
    """Drop rows that are the only one in their unit or year until none is (as fixest)."""
    while True:
        kept = data.filter((pl.len().over(unit) > 1) & (pl.len().over(time) > 1))
        if kept.height == data.height:
            return data
        data = kept


def _two_way_crv1(
    data: pl.DataFrame, outcome: str, engagement: str, unit: str, time: str
) -> tuple[float, float, float, tuple[float, float]]:
    """Coefficient, standard error, p-value and 95% interval of ``engagement``.

    Unit effects are taken out exactly by subtracting each unit's means; year effects are
    dummies (every year but the first), so the coefficient and residuals are those of the
    full two-way model. The clustered (CRV1) covariance gets fixest's small-sample
    correction G/(G − 1) × (N − 1)/(N − K), where K counts engagement, the year effects
    and one parameter for the unit effects (they are nested in the clusters), and the
    t distribution has G − 1 degrees of freedom.
    """
    # Imported here: only this estimate needs them, and the registry's models import this
    # module for its items as every command starts (numpy alone took 40-60 ms of that).
    import numpy as np
    from statsmodels.regression.linear_model import OLS

    years = data[time].unique().sort()[1:]
    design = data.select(
        unit,
        pl.col(outcome, engagement).cast(pl.Float64),
        *((pl.col(time) == year).cast(pl.Float64).alias(f"{time}={year}") for year in years),
    )
    demeaned = design.select(pl.exclude(unit) - pl.exclude(unit).mean().over(unit))
    y, x = demeaned[outcome].to_numpy(), demeaned.drop(outcome).to_numpy()
    if np.linalg.matrix_rank(x) == np.linalg.matrix_rank(x[:, 1:]):
        raise NoVariationError(
            f"Column {engagement!r} does not change within units beyond what the year "
            "effects explain, so its link with the outcome cannot be estimated."
        )
    clusters = data[unit].rank("dense").to_numpy()
    fit = OLS(y, x).fit(
        cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": False}, use_t=True
    )
    n, g, k = data.height, data[unit].n_unique(), 1 + len(years) + 1
    engagement_only = np.eye(x.shape[1])[0]
    test = fit.t_test(engagement_only, cov_p=fit.cov_params() * g / (g - 1) * (n - 1) / (n - k))
    low, high = test.conf_int(alpha=0.05)[0]
    if not np.isfinite(test.sd.item()) or test.sd.item() <= 0:
        raise NoVariationError(
            f"Column {engagement!r} or the outcome varies too little within units for a "
            "standard error: the link cannot be estimated."
        )
    return (
        float(test.effect[0]),
        float(test.sd.item()),
        float(test.pvalue),
        (float(low), float(high)),
    )
