"""The engagement → quality link: the panel read from surveys and returns, the estimate,
the chart's slope, and the page."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from django.urls import reverse

from engagement.conftest import add_responses, closed_survey
from mutuals.accounts.permissions import Viewer
from mutuals.engagement import link
from mutuals.engagement.models import Survey
from mutuals.engine.engagement import CAVEAT, engagement_link
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind
from mutuals.returns.models import Direction, Domain, Metric, Observation, PeriodKind, Submission
from web.test_page_conventions import check_conventions

YEARS = range(2012, 2018)
TRUE_SLOPE = 2.0
AUDITOR = Viewer(organisations={"auditor": frozenset()})


@pytest.fixture
def portfolio(world):
    """Six providers surveyed 2012-2017 (one year too small to score), with quarterly
    patient experience = provider level + year shock + 2 × engagement + noise."""
    rng = np.random.default_rng(5)
    metric = Metric.objects.create(
        code="patient-experience", name="Patient experience", unit="% positive",
        direction=Direction.HIGHER_IS_BETTER, domain=Domain.EXPERIENCE,
    )  # fmt: skip
    submission = Submission.objects.create(source=Submission.Source.DEMO)
    expected, observations = [], []
    for n in range(6):
        provider = Organisation.objects.create(
            name=f"Surveyed Provider {n}", kind=OrganisationKind.PROVIDER,
            legal_form=LegalForm.CIC_GUARANTEE, ods_code=f"SVY{n}",
        )  # fmt: skip
        for year in YEARS:
            agreeing = int(rng.integers(0, 21))  # of 20 answer 4, the rest 3
            engagement = 5.0 + 2.5 * agreeing / 20
            survey = closed_survey(provider, {"Everyone": (20 - agreeing, 3)}, year=year)
            add_responses(survey, {"Everyone": (agreeing, 4)})
            quarters = [
                70 + n + (year - 2012) * 0.5 + TRUE_SLOPE * engagement + rng.normal(0, 0.5)
                for _ in range(4)
            ]
            expected.append((provider.pk, year, engagement, float(np.mean(quarters))))
            observations += [
                Observation(organisation=provider, metric=metric, period=f"{year}-Q{q + 1}",
                            period_start=dt.date(year, 3 * q + 1, 1), period_kind=PeriodKind.QUARTER,
                            value=value, submission=submission)
                for q, value in enumerate(quarters)
            ]  # fmt: skip
        closed_survey(provider, {"Everyone": (5, 4)}, year=2018)  # too few: left out
    Observation.objects.bulk_create(observations)
    frame = pl.DataFrame(
        expected, schema=["unit", "year", "engagement", "outcome"], orient="row"
    ).sort("unit", "year")
    return {"metric": metric, "expected": frame}


def test_the_panel_joins_scores_to_annual_quality(portfolio):
    found = link.panel(portfolio["metric"], viewer=AUDITOR)
    expected = portfolio["expected"]
    assert found.select("unit", "year").to_dicts() == expected.select("unit", "year").to_dicts()
    assert np.allclose(found["engagement"], expected["engagement"])
    assert np.allclose(found["outcome"], expected["outcome"])


def test_the_estimate_is_the_engines_on_that_panel(portfolio):
    found = link.estimate(portfolio["metric"], viewer=AUDITOR)
    direct = engagement_link(portfolio["expected"], outcome="outcome", unit="unit", time="year")
    assert found.estimate.coef == pytest.approx(direct.coef, rel=1e-9)
    assert found.estimate.confint == pytest.approx(direct.confint, rel=1e-9)
    assert found.estimate.coef == pytest.approx(TRUE_SLOPE, abs=0.3)
    assert (found.n_units, found.estimate.nobs, found.years) == (6, 36, (2012, 2017))


def test_the_charts_slope_is_the_estimate(portfolio):
    found = link.estimate(portfolio["metric"], viewer=AUDITOR)
    x = link.within(found.panel, "engagement")
    y = link.within(found.panel, "outcome")
    assert np.polyfit(x, y, 1)[0] == pytest.approx(found.estimate.coef, rel=1e-6)


def test_the_page_shows_estimate_interval_chart_and_caveat(auditor_client, portfolio):
    response = auditor_client.get(reverse("engagement-link"), {"metric": "patient-experience"})
    assert response.status_code == 200
    html = response.content.decode()
    check_conventions(html)
    found = link.estimate(portfolio["metric"], viewer=AUDITOR).estimate
    assert f"{found.confint[0]:.3f} to {found.confint[1]:.3f}" in html
    assert 'role="img"' in html and "provider-years" in html
    assert "does not show that engagement causes better care" in html
    assert CAVEAT.split(":")[0] in html
    # An unknown metric falls back to the default rather than failing.
    fallback = auditor_client.get(reverse("engagement-link"), {"metric": "nope"})
    assert fallback.status_code == 200 and fallback.context["metric"] == portfolio["metric"]
    assert f"{found.confint[0]:.3f} to {found.confint[1]:.3f}" in fallback.content.decode()


def test_the_api_gives_the_same_estimate(portfolio, as_role):
    body = as_role("auditor").get("/engagement/link", metric="patient-experience").json()
    found = link.estimate(portfolio["metric"], viewer=AUDITOR).estimate
    assert body["estimate"] == pytest.approx(found.coef)
    assert (body["providers"], body["provider_years"]) == (6, 36)
    assert "not proof of cause" in body["caveat"]


def test_too_few_providers_is_said_plainly(auditor_client, world):
    Metric.objects.create(code="waits", name="Waits", unit="weeks", direction="lower",
                          domain=Domain.QUALITY)  # fmt: skip
    html = auditor_client.get(reverse("engagement-link")).content.decode()
    check_conventions(html)
    assert "the link needs at least 3" in html


def test_engagement_that_only_moves_with_the_year_is_said_plainly(world, monkeypatch):
    metric = Metric.objects.create(code="waits", name="Waits", unit="weeks", direction="lower",
                                   domain=Domain.QUALITY)  # fmt: skip
    same_change = pl.DataFrame({
        "unit": [1, 1, 2, 2, 3, 3], "year": [2012, 2013] * 3,
        "engagement": [5.0, 6.0, 7.0, 8.0, 4.5, 5.5], "outcome": [9.0, 8.0, 7.5, 7.0, 10.0, 8.0],
    })  # fmt: skip
    monkeypatch.setattr(link, "_panel", lambda metric, scores: same_change)
    found = link.estimate(metric, viewer=AUDITOR)
    assert (found.estimate, found.problem) == (None, link.NO_VARIATION)


def _unpublish_some(portfolio) -> int:
    """Keep the last three years of one provider's results unpublished; their number."""
    unit = portfolio["expected"]["unit"][0]
    return Survey.objects.filter(organisation_id=unit, year__range=(2015, 2017)).update(
        results_published=False
    )


def test_commissioners_get_the_link_from_published_results_only(world, portfolio):
    hidden = _unpublish_some(portfolio)
    commissioner = Viewer(organisations={"commissioner": frozenset({world["pct"].pk})})
    everything = link.estimate(portfolio["metric"], viewer=AUDITOR)  # cached first
    published = link.estimate(portfolio["metric"], viewer=commissioner)
    assert (everything.basis, published.basis) == ("all", "published")
    assert (everything.estimate.nobs, published.estimate.nobs) == (36, 36 - hidden)
    unit = portfolio["expected"]["unit"][0]
    assert published.panel.filter(pl.col("unit") == unit)["year"].to_list() == [2012, 2013, 2014]
    expected = portfolio["expected"].filter((pl.col("unit") != unit) | (pl.col("year") < 2015))
    direct = engagement_link(expected, outcome="outcome", unit="unit", time="year")
    assert published.estimate.coef == pytest.approx(direct.coef, rel=1e-9)
    assert published.estimate.coef != pytest.approx(everything.estimate.coef, rel=1e-9)
    assert link.panel(portfolio["metric"], viewer=commissioner).height == 36 - hidden
    assert link.default_metric(viewer=commissioner) == portfolio["metric"]


def test_the_page_and_api_pass_the_viewer(world, portfolio, sign_in, as_role):
    hidden = _unpublish_some(portfolio)
    for role, basis, years in (("auditor", "all", 36), ("commissioner", "published", 36 - hidden)):
        body = as_role(role).get("/engagement/link", metric="patient-experience").json()
        assert (body["results"], body["provider_years"]) == (basis, years)
        html = sign_in(role).get(reverse("engagement-link")).content.decode()
        check_conventions(html)
        assert link.BASIS_WORDS[basis].capitalize() in html
        assert f'<dd class="govuk-summary-list__value">{years}</dd>' in html


def test_the_page_counts_the_rows_the_estimate_uses(portfolio):
    """A provider with one surveyed year is left out of the estimate (fixed effects fit it
    exactly), so it is left out of the page's counts, years and chart as well."""
    lone = Organisation.objects.create(
        name="Lonely Lane CIC", kind=OrganisationKind.PROVIDER, legal_form=LegalForm.CIC_GUARANTEE,
        ods_code="LNY01", region="london",
    )  # fmt: skip
    survey = closed_survey(lone, {"All": (30, 4)}, year=2012)
    assert survey.results_published
    submission = Submission.objects.first()
    Observation.objects.bulk_create(
        Observation(
            organisation=lone, metric=portfolio["metric"], period=f"2012-Q{q}",
            period_start=dt.date(2012, 3 * q - 2, 1), period_kind=PeriodKind.QUARTER,
            value=80.0, submission=submission,
        )
        for q in (1, 2, 3, 4)
    )  # fmt: skip
    assert lone.pk in link.panel(portfolio["metric"], viewer=AUDITOR)["unit"].to_list()
    found = link.estimate(portfolio["metric"], viewer=AUDITOR)
    assert found.n_units == found.estimate.n_units == 6
    assert found.panel.height == found.estimate.nobs
    assert lone.pk not in found.panel["unit"].to_list()
