"""Which surveys and results a viewer may see, through the permission matrix."""

from __future__ import annotations

from django.db.models import QuerySet

from mutuals.accounts.permissions import Viewer, visible
from mutuals.engagement.models import Survey, SurveyStatus
from mutuals.engagement.results import SurveyResult, survey_results


def visible_surveys(viewer: Viewer) -> QuerySet[Survey]:
    """Surveys the viewer may see the running of (links issued, answers received)."""
    return visible(viewer, "survey").select_related("organisation")


def result_surveys(viewer: Viewer) -> QuerySet[Survey]:
    """Closed surveys whose results the viewer may see."""
    return (
        visible(viewer, "result")
        .filter(status=SurveyStatus.CLOSED)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id", "year")
    )


def visible_results(
    viewer: Viewer, *, organisation_id: int | None = None, year: int | None = None
) -> list[SurveyResult]:
    surveys = result_surveys(viewer)
    if organisation_id is not None:
        surveys = surveys.filter(organisation_id=organisation_id)
    if year is not None:
        surveys = surveys.filter(year=year)
    return survey_results(surveys)
