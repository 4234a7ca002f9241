"""The engagement → quality link across the portfolio.

The panel has one row per provider and year that has both a published-size engagement
score (a closed survey's whole-staff score, through :func:`results.survey_results`, so
suppression applies here too) and returns for the chosen quality metric in that
calendar year (the mean of its current quarterly values). The engine's
:func:`~mutuals.engine.engagement.engagement_link` regresses the metric on engagement
with provider and year fixed effects and standard errors clustered by provider.

The chart plots the same comparison the estimate makes: each provider-year's engagement
and quality after taking out the provider's own average and the year's average (the
two-way "within" transformation), so the fitted line's slope is the estimate. Points
carry no names.

Which surveys count depends on who asks (every function takes the viewer): a viewer who
may read every survey result (an auditor) gets the estimate from all closed surveys; anyone
else (a commissioner) from published results only, so neither the estimate, the chart nor
the counts draw on results a provider has not published. Cached estimates and charts are
kept apart by that basis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from mutuals import charts
from mutuals.accounts.permissions import Viewer, may
from mutuals.engagement.models import Survey, SurveyStatus
from mutuals.engagement.results import organisation_year_scores, survey_results
from mutuals.engine.engagement import (
    EngagementLinkResult,
    engagement_link,
    estimation_sample,
)
from mutuals.engine.errors import NoVariationError, TooFewPeriodsError
from mutuals.evaluation.panels import quarterly_values, quarterly_values_by_metric
from mutuals.returns.models import Domain, Metric

QUALITY_DOMAINS = (Domain.QUALITY, Domain.EXPERIENCE, Domain.OUTCOME)
DEMEAN_ROUNDS = 200
ALL_RESULTS = "all"
PUBLISHED_RESULTS = "published"
NO_VARIATION = (
    "Each provider's engagement score changes from year to year exactly as every other "
    "provider's does, so nothing is left to compare with quality: the link cannot be "
    "estimated."
)
BASIS_WORDS = {
    ALL_RESULTS: "every closed staff survey, published or not",
    PUBLISHED_RESULTS: "published staff survey results only",
}


def results_basis(viewer: Viewer) -> str:
    """Which results the viewer's estimate uses: all if they may read every survey
    result, else published ones."""
    return ALL_RESULTS if may(viewer, "view", "result") else PUBLISHED_RESULTS


def quality_metrics():
    """Metrics that describe the quality of care: the link's possible outcomes."""
    return Metric.objects.filter(domain__in=QUALITY_DOMAINS).order_by("name")


def default_metric(
    *, viewer: Viewer, metrics: list[Metric] | None = None, scores: pl.DataFrame | None = None
) -> Metric | None:
    """The quality metric (of ``metrics``, default all) with the most provider-years the
    viewer may compare, else the first. ``scores``: :func:`scores_for` the viewer, if the
    caller has them already."""
    metrics = list(quality_metrics()) if metrics is None else metrics
    if not metrics:
        return None
    scores = scores_for(viewer) if scores is None else scores
    if scores.is_empty():
        return metrics[0]
    values = quarterly_values_by_metric([m.pk for m in metrics])  # one pass for them all
    return max(
        metrics, key=lambda m: scores.join(_annual(values[m.pk]), on=["unit", "year"]).height
    )


def scores_for(viewer: Viewer) -> pl.DataFrame:
    """unit, year and engagement from every survey result the viewer's estimate may use."""
    return _engagement(results_basis(viewer))


def _engagement(basis: str) -> pl.DataFrame:
    surveys = Survey.objects.filter(status=SurveyStatus.CLOSED)
    if basis != ALL_RESULTS:
        surveys = surveys.filter(results_published=True)
    return organisation_year_scores(survey_results(surveys.select_related("organisation")))


def annual_values(metric: Metric) -> pl.DataFrame:
    """unit, year and the mean of the metric's current quarterly values in that year."""
    return _annual(quarterly_values(metric.pk))


def _annual(values: pl.DataFrame) -> pl.DataFrame:
    return values.group_by("unit", (pl.col("time") // 4).alias("year")).agg(
        pl.col("outcome").mean()
    )


def panel(metric: Metric, *, viewer: Viewer) -> pl.DataFrame:
    """unit, year, engagement and outcome for every provider-year the viewer may compare."""
    return _panel(metric, _engagement(results_basis(viewer)))


def _panel(metric: Metric, scores: pl.DataFrame) -> pl.DataFrame:
    return scores.join(annual_values(metric), on=["unit", "year"]).sort("unit", "year")


@dataclass(frozen=True)
class Link:
    metric: Metric
    panel: pl.DataFrame
    estimate: EngagementLinkResult | None
    problem: str = ""
    basis: str = PUBLISHED_RESULTS

    @property
    def basis_words(self) -> str:
        return BASIS_WORDS[self.basis]

    @property
    def n_units(self) -> int:
        return self.panel["unit"].n_unique() if self.panel.height else 0

    @property
    def years(self) -> tuple[int, int] | None:
        if not self.panel.height:
            return None
        return int(self.panel["year"].min()), int(self.panel["year"].max())

    def chart(self) -> str | None:
        if self.estimate is None:
            return None
        return link_chart(self.panel, self.estimate, self.metric, self.basis)


def estimate(metric: Metric, *, viewer: Viewer, scores: pl.DataFrame | None = None) -> Link:
    """The link for ``metric`` from the survey results ``viewer`` may read (``scores``:
    :func:`scores_for` the viewer, if the caller has them already)."""
    basis = results_basis(viewer)
    scores = _engagement(basis) if scores is None else scores
    # The rows the estimate uses, so the page's counts, years and chart match it.
    data = estimation_sample(_panel(metric, scores), outcome="outcome")
    try:
        # Milliseconds on a national panel: no cache needed.
        result = engagement_link(data, outcome="outcome", unit="unit", time="year")
    except TooFewPeriodsError:
        return Link(metric, data, None, _too_few(data), basis)
    except NoVariationError:
        return Link(metric, data, None, NO_VARIATION, basis)
    return Link(metric, data, result, basis=basis)


def _too_few(data: pl.DataFrame) -> str:
    """``data``: the estimation sample, so only providers seen in at least 2 years count."""
    providers = data["unit"].n_unique() if data.height else 0
    return (
        f"{providers} provider{'' if providers == 1 else 's'} have both a survey result and "
        "returns for this metric in at least 2 years; the link needs at least 3."
    )


def within(data: pl.DataFrame, column: str) -> np.ndarray:
    """``column`` with provider and year averages taken out (alternating projections)."""
    values = data[column].to_numpy().astype(float).copy()
    groups = []
    for name in ("unit", "year"):
        _, index = np.unique(data[name].to_numpy(), return_inverse=True)
        groups.append((index, np.bincount(index)))
    for _ in range(DEMEAN_ROUNDS):
        before = values.copy()
        for index, counts in groups:
            values -= (np.bincount(index, values) / counts)[index]
        if np.max(np.abs(values - before)) < 1e-10:
            break
    return values


def link_chart(data: pl.DataFrame, result: EngagementLinkResult, metric: Metric, basis: str) -> str:
    x, y = within(data, "engagement"), within(data, "outcome")
    rows = [{"x": round(float(a), 4), "y": round(float(b), 4)} for a, b in zip(x, y, strict=True)]
    span = [float(x.min()), float(x.max())] if len(x) else [0.0, 0.0]
    line = [{"x": v, "fit": result.coef * v} for v in span]
    unit = metric.unit
    description = (
        f"{len(rows)} provider-years. Across: engagement score (0 to 10) above or below the "
        f"provider's usual level, after the year's average is taken out. Up: {metric.name} "
        f"({unit}) above or below the provider's usual level, likewise. The line's slope is "
        f"the estimate, {charts.number(result.coef)} {unit} per engagement point."
    )
    return charts._cached(
        {"chart": "engagement_link", "basis": basis, "rows": rows, "line": line, "unit": unit},
        lambda: _layers(rows, line, metric),
        f"Engagement and {metric.name.lower()} within providers",
        description,
    )


def _layers(rows: list[dict], line: list[dict], metric: Metric):
    import altair as alt

    points = (
        alt.Chart(alt.Data(values=rows))
        .mark_point(filled=True, size=30, opacity=0.7, color=charts.SECONDARY)
        .encode(
            x=alt.X("x:Q", title="Engagement above the provider's usual level (points)"),
            y=alt.Y("y:Q", title=f"{metric.name} above usual ({metric.unit})"),
        )
    )
    fit = (
        alt.Chart(alt.Data(values=line))
        .mark_line(color=charts.BLUE, strokeWidth=3)
        .encode(x="x:Q", y="fit:Q")
    )
    return alt.layer(points, fit)
