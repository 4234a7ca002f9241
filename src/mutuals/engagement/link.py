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

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl
from django.core.cache import cache

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
from mutuals.evaluation.panels import quarterly_values
from mutuals.returns.models import Domain, Metric

QUALITY_DOMAINS = (Domain.QUALITY, Domain.EXPERIENCE, Domain.OUTCOME)
DEMEAN_ROUNDS = 200
CACHE_SECONDS = 7 * 24 * 3600
# Part of the cache key: estimates made by an earlier estimator are not served.
ESTIMATOR = "statsmodels-crv1"
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


def default_metric(*, viewer: Viewer) -> Metric | None:
    """The quality metric with the most provider-years the viewer may compare, else the
    first."""
    metrics = list(quality_metrics())
    if not metrics:
        return None
    scores = _engagement(results_basis(viewer))
    if scores.is_empty():
        return metrics[0]
    return max(metrics, key=lambda m: _panel(m, scores).height)


def _engagement(basis: str) -> pl.DataFrame:
    surveys = Survey.objects.filter(status=SurveyStatus.CLOSED)
    if basis != ALL_RESULTS:
        surveys = surveys.filter(results_published=True)
    return organisation_year_scores(survey_results(surveys.select_related("organisation")))


def annual_values(metric: Metric) -> pl.DataFrame:
    """unit, year and the mean of the metric's current quarterly values in that year."""
    values = quarterly_values(metric.pk)
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


def estimate(metric: Metric, *, viewer: Viewer) -> Link:
    """The link for ``metric`` from the survey results ``viewer`` may read."""
    basis = results_basis(viewer)
    # The rows the estimate uses, so the page's counts, years and chart match it.
    data = estimation_sample(_panel(metric, _engagement(basis)), outcome="outcome")
    try:
        result = _cached_link(data, basis)
    except TooFewPeriodsError:
        return Link(metric, data, None, _too_few(data), basis)
    except NoVariationError:
        return Link(metric, data, None, NO_VARIATION, basis)
    return Link(metric, data, result, basis=basis)


def _cached_link(data: pl.DataFrame, basis: str) -> EngagementLinkResult:
    """The engine's estimate, kept in the cache under the results basis and a hash of the
    panel, so each panel is estimated once and every web worker reuses it until a survey or
    return changes it. That now saves little: on the demo's 399 provider-years the estimate
    takes about 3 milliseconds, and a process's first up to 0.3 seconds more while
    statsmodels is imported (pyfixest, used before, took 1-5 seconds). The basis in the key
    keeps one audience's estimate from serving another."""
    fingerprint = hashlib.sha256(data.write_ipc(None).getvalue()).hexdigest()
    key = f"engagement-link:{ESTIMATOR}:{basis}:{fingerprint}"
    found = cache.get(key)
    if found is None:
        found = engagement_link(data, outcome="outcome", unit="unit", time="year")
        cache.set(key, found, timeout=CACHE_SECONDS)
    return found


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
    units = data["unit"].to_numpy()
    years = data["year"].to_numpy()
    for _ in range(DEMEAN_ROUNDS):
        before = values.copy()
        for keys in (units, years):
            _, index = np.unique(keys, return_inverse=True)
            means = np.bincount(index, values) / np.bincount(index)
            values -= means[index]
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
