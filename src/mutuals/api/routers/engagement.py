"""Staff engagement: survey results and the engagement → quality link.

Results come through the same suppression as the web pages
(:func:`mutuals.engagement.results.survey_results`): groups below the survey's minimum
size are absent, with only their number given. Anyone may read published results; a
provider's managers and staff read their own; auditors read all. The link is estimated
across the portfolio, for those who may see evaluations (auditors and commissioners),
from all closed surveys for auditors and from published results only for commissioners.
"""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from mutuals.accounts.permissions import may
from mutuals.api import schemas
from mutuals.api.auth import PUBLIC_READ, READ, caller
from mutuals.api.errors import ApiProblem, FieldError
from mutuals.api.listing import CODE, OrganisationFilter, PageParams, organisation_ids, page
from mutuals.api.routers.register import organisation_ref
from mutuals.engagement import link as quality_link
from mutuals.engagement import queries
from mutuals.engagement.results import SurveyResult, survey_results
from mutuals.engine.engagement import CAVEAT

router = Router(tags=["Staff engagement"])


class Score(Schema):
    group: str = Field(description='"All staff" for the whole survey, else the group.')
    respondents: int
    motivation: float = Field(description="0 to 10")
    involvement: float = Field(description="0 to 10")
    advocacy: float = Field(description="0 to 10")
    engagement: float = Field(description="Mean of the three parts, 0 to 10.")


class SurveyRef(Schema):
    id: int
    title: str
    year: int
    organisation: schemas.OrganisationRef
    min_group_size: int


class SurveyResultOut(Schema):
    survey: SurveyRef
    overall: Score | None = Field(description="Null when fewer than min_group_size answered.")
    groups: list[Score] = Field(description="Only groups large enough to show.")
    groups_hidden: int = Field(
        description="Groups left out: too small, or hidden so a small one cannot be derived."
    )


SurveyResultPage = schemas.page_of(SurveyResultOut)


class YearFilter(Schema):
    year: int | None = Field(None, ge=1990, le=2200, description="Only surveys of this year.")


def result_json(result: SurveyResult) -> dict:
    survey = result.survey
    return {
        "survey": {
            "id": survey.pk,
            "title": survey.title,
            "year": survey.year,
            "organisation": organisation_ref(survey.organisation),
            "min_group_size": survey.min_group_size,
        },
        "overall": result.overall.as_json() if result.overall else None,
        "groups": [score.as_json() for score in result.groups],
        "groups_hidden": result.hidden_groups,
    }


@router.get(
    "/engagement/results",
    response=schemas.responses({200: SurveyResultPage}),
    auth=PUBLIC_READ,
    summary="List staff survey results",
)
def list_survey_results(
    request, paging: Query[PageParams], where: Query[OrganisationFilter], year: Query[YearFilter]
):
    """Closed surveys' engagement scores, by organisation and year (ordered by survey id)."""
    surveys = queries.result_surveys(caller(request).viewer).order_by("pk")
    if where.organisation:
        surveys = surveys.filter(organisation_id__in=organisation_ids(where.organisation))
    if year.year:
        surveys = surveys.filter(year=year.year)
    window = page(request, surveys, paging)
    window["results"] = [result_json(r) for r in survey_results(window["results"])]
    return window


class LinkOut(Schema):
    metric: str
    estimate: float = Field(description="Change in the metric per engagement point.")
    std_error: float = Field(description="Clustered by provider.")
    ci_low: float
    ci_high: float
    p_value: float
    providers: int
    provider_years: int
    first_year: int
    last_year: int
    results: str = Field(
        description='"all": every closed survey, published or not (auditors); "published": '
        "published survey results only (everyone else)."
    )
    caveat: str


class MetricParam(Schema):
    metric: str | None = Field(
        None, pattern=CODE, description="A quality, experience or outcome metric's code."
    )


@router.get(
    "/engagement/link",
    response=schemas.responses({200: LinkOut}),
    auth=READ,
    summary="Estimate the engagement → quality link",
)
def engagement_quality_link(request, metric: Query[MetricParam]):
    """Within-provider association of a quality metric with engagement: provider and year
    fixed effects, errors clustered by provider. An association, not proof of cause."""
    viewer = caller(request).viewer
    if not may(viewer, "view", "evaluation"):
        raise ApiProblem(403, "forbidden", "The link spans the portfolio: for auditors and "
                         "commissioners.")  # fmt: skip
    scores = quality_link.scores_for(viewer)
    chosen = (
        quality_link.quality_metrics().filter(code=metric.metric).first()
        if metric.metric
        else quality_link.default_metric(viewer=viewer, scores=scores)
    )
    if chosen is None:
        raise ApiProblem(422, "invalid-request", "Choose a quality metric.", [
            FieldError("not a quality, experience or outcome metric", field="metric")
        ])  # fmt: skip
    found = quality_link.estimate(chosen, viewer=viewer, scores=scores)
    if found.estimate is None:
        raise ApiProblem(422, "invalid-request", found.problem, [
            FieldError(found.problem, field="metric")
        ])  # fmt: skip
    e, years = found.estimate, found.years
    return {
        "metric": chosen.code, "estimate": e.coef, "std_error": e.se, "ci_low": e.confint[0],
        "ci_high": e.confint[1], "p_value": e.pvalue, "providers": e.n_units,
        "provider_years": e.nobs, "first_year": years[0], "last_year": years[1],
        "results": found.basis, "caveat": CAVEAT,
    }  # fmt: skip
