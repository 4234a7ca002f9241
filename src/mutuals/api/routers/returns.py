"""Returns: read current observations, and submit new ones in bulk as JSON or CSV.

A submission goes through :func:`mutuals.returns.services.import_returns`, the path
the CLI and the web upload take: the same rules, all or nothing, one audited
submission. A provider's managers may submit for their own organisation(s) only, as
on the web; a row naming any other organisation is rejected as naming an unknown one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath

import polars as pl
import pydantic
from django.conf import settings
from django.http import HttpResponse
from ninja import Path, Query, Router, Status

from mutuals.accounts.permissions import Viewer, allowed_in, may, visible
from mutuals.api import schemas
from mutuals.api.auth import READ, SUBMIT_RETURNS, caller
from mutuals.api.errors import ApiProblem, from_import, from_pydantic, not_found
from mutuals.api.listing import (
    MetricFilter,
    OrganisationFilter,
    PageParams,
    PeriodFilter,
    ProgrammeFilter,
    organisation_ids,
    page,
    period_bounds,
)
from mutuals.api.routers.register import MAX_ID
from mutuals.api.schemas import responses
from mutuals.errors import ImportRejected
from mutuals.registry.models import ProgrammeMembership
from mutuals.returns.models import CurrentObservation, Submission, SubmissionOrganisation
from mutuals.returns.services import import_returns

router = Router(tags=["Returns"])

JSON, CSV = "application/json", "text/csv"
COLUMNS = ("organisation", "metric", "period", "value", "numerator", "denominator")
IDENTIFIERS = ("ods_code", "company_number", "charity_number")
CURRENT_KEY = ("organisation_id", "metric_id", "period")
OBSERVATION_FIELDS = (
    "id",
    "organisation_id",
    *(f"organisation__{name}" for name in IDENTIFIERS),
    "metric__code",
    "period",
    "period_start",
    "period_kind",
    "value",
    "numerator",
    "denominator",
    "version",
    "submission_id",
)


def _observation(row: dict) -> dict:
    codes = [row.pop(f"organisation__{name}") for name in IDENTIFIERS]
    row["organisation"] = next((code for code in codes if code), None)
    row["metric"] = row.pop("metric__code")
    return row


@router.get(
    "/returns",
    response=responses({200: schemas.ObservationPage}),
    auth=READ,
    summary="List current returns",
)
def list_returns(
    request,
    paging: Query[PageParams],
    where: Query[OrganisationFilter],
    programme: Query[ProgrammeFilter],
    metric: Query[MetricFilter],
    periods: Query[PeriodFilter],
    submission: int | None = Query(None, ge=1, le=MAX_ID),
):
    """The current version of each figure the caller may see, ordered by organisation id,
    metric id and period (one figure each). Returns are not published: a provider's
    managers see their own, commissioners those of the providers they commission,
    auditors all."""
    viewer = caller(request).viewer
    observations = visible(viewer, "observation", queryset=CurrentObservation.objects.all())
    if where.organisation:
        observations = observations.filter(organisation_id__in=organisation_ids(where.organisation))
    if programme.programme:
        members = ProgrammeMembership.objects.filter(programme__code=programme.programme)
        observations = observations.filter(organisation_id__in=members.values("organisation_id"))
    if metric.metric:
        observations = observations.filter(metric__code=metric.metric)
    start, end = period_bounds(periods)
    if start:
        observations = observations.filter(period_start__gte=start)
    if end:
        observations = observations.filter(period_start__lt=end)
    if submission:
        # Through the organisations it carried: the figures are indexed by organisation.
        carried = SubmissionOrganisation.objects.filter(submission_id=submission)
        observations = observations.filter(
            organisation_id__in=carried.values("organisation_id"), submission_id=submission
        )
    # Unique among current figures, and the order of their index: a page is one index range.
    rows = observations.order_by(*CURRENT_KEY).values(*OBSERVATION_FIELDS)
    return page(request, rows, paging, _observation)


SUBMISSION_BODY = {
    "required": True,
    "description": "Rows as JSON, or the same columns as CSV with a header row (the CLI's "
    "and the upload page's format). All rows are imported, or none.",
    "content": {
        JSON: {"schema": {"$ref": "#/components/schemas/ReturnsSubmission"}},
        CSV: {
            "schema": {"type": "string"},
            "example": "organisation,metric,period,value,numerator,denominator\n"
            "NQX01,sickness-absence,2011-Q2,4.5,,\n",
        },
    },
}


@router.post(
    "/returns",
    response=responses({201: schemas.SubmissionAccepted}, 413, 415),
    auth=SUBMIT_RETURNS,
    summary="Submit returns",
    openapi_extra={"requestBody": SUBMISSION_BODY},
)
def submit_returns(request, response: HttpResponse):
    """Validate every row with the CLI's rules and import them all, or none: any bad row
    rejects the submission, and the problem names each bad row and field."""
    who = caller(request)
    organisations = submittable_organisations(who.viewer)
    if organisations is not None and not organisations:
        raise ApiProblem(
            403,
            "forbidden",
            "Your roles do not let you submit returns: a provider's managers submit them, "
            "for their own organisation.",
        )
    content_type = request.content_type or ""
    if content_type not in (JSON, CSV):
        raise ApiProblem(
            415,
            "unsupported-media-type",
            f"Send the rows as {JSON} or {CSV}, not {content_type or 'an unnamed type'}.",
        )
    body = _read_body(request)
    with tempfile.TemporaryDirectory() as folder:
        if content_type == JSON:
            path, row_offset = _json_as_csv(body, FilePath(folder)), 1
        else:
            path, row_offset = FilePath(folder) / "request-body.csv", 0
            path.write_bytes(body)
        try:
            report = import_returns(
                path,
                source=Submission.Source.API,
                user=who.user,
                filename=f"api.{'json' if content_type == JSON else 'csv'}",
                organisation_ids=organisations,
            )
        except ImportRejected as rejected:
            raise from_import(rejected, row_offset=row_offset) from None
    if report.submission_id is None:
        raise ApiProblem(422, "invalid-returns", "The submission has no rows: send at least one.")
    response["Location"] = f"/api/v1/submissions/{report.submission_id}"
    return Status(
        201,
        {
            "submission_id": report.submission_id,
            "rows": report.rows,
            "imported": report.imported,
            "new_versions": report.new_versions,
        },
    )


def submittable_organisations(viewer: Viewer) -> set[int] | None:
    """The organisations the viewer may submit returns for; None for every one."""
    if may(viewer, "create", "submission"):
        return None
    candidates: set[int] = set()
    for ids in viewer.organisations.values():
        candidates |= ids
    if viewer.holding("commissioner"):
        candidates |= viewer.commissioned_provider_ids
    return {pk for pk in candidates if allowed_in(viewer, "create", "submission", pk)}


def _read_body(request) -> bytes:
    limit = settings.API_MAX_UPLOAD_MB * 1024 * 1024
    too_large = ApiProblem(
        413, "too-large", f"The body is over {settings.API_MAX_UPLOAD_MB} MB: split the rows."
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large
    return body


def _json_as_csv(body: bytes, folder: FilePath) -> FilePath:
    """Type-check the JSON rows strictly, then write them in the import's CSV columns."""
    try:
        rows = schemas.RETURNS_SUBMISSION.validate_json(body)["rows"]
    except pydantic.ValidationError as error:
        raise from_pydantic(error.errors(include_url=False), rows_key="rows") from None
    frame = pl.DataFrame(
        rows,
        schema={
            **dict.fromkeys(COLUMNS[:3], pl.Utf8),
            **dict.fromkeys(COLUMNS[3:], pl.Float64),
        },
    )
    path = folder / "request-body.csv"
    frame.write_csv(path)
    return path


@router.get(
    "/submissions/{id}",
    response=responses({200: schemas.Submission}),
    auth=READ,
    summary="Read a submission",
)
def get_submission(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """One accepted submission; its rows are ``GET /returns?submission=ID`` (those still
    current)."""
    submission = (
        visible(caller(request).viewer, "submission")
        .filter(pk=id)
        .values("id", "submitted_at", "source", "filename", "row_count")
        .first()
    )
    if submission is None:
        raise not_found(f"submission {id}")
    return submission
