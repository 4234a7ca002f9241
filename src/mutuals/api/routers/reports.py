"""Value-for-money reports, as the web's downloads: the portfolio's and one provider's.

The same rules as the web apply: the whole-portfolio report names every provider
with figures from its returns, so it is for those who may see every provider's
returns (auditors); a provider's scorecard is for those who may see that provider's
returns. Reports are made from the latest evaluation run that covers every programme
and metric.

HTML is made in the request and answered at once (200). A PDF takes seconds of CPU to
lay out, so it is never made in the request: asking for one answers ``202 Accepted``
with the job that makes it and a ``Location`` to poll (``GET /reports/jobs/{id}``), whose
``download`` link appears when it is ready (``GET /reports/jobs/{id}.pdf``; asked for
earlier, that answers 202 again). A job is kept for a day; every look at it applies the
report's own rule to the caller again.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from ninja import Path, Router, Schema, Status
from pydantic import Field

from mutuals.accounts.permissions import Viewer, allowed_in, may, visible
from mutuals.api import schemas
from mutuals.api.auth import READ, caller
from mutuals.api.errors import ApiProblem, not_found
from mutuals.api.routers.register import MAX_ID
from mutuals.registry.models import Organisation, OrganisationKind

router = Router(tags=["Reports"])
Format = Literal["html", "pdf"]
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
_DOCUMENT = {
    "responses": {
        200: {
            "description": "The report as HTML, as an attachment.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        202: {
            "description": "PDF asked for: the job making it; poll its Location.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
    }
}


class ReportJob(Schema):
    """A report's PDF being made by a worker."""

    id: str
    kind: str = Field(description="portfolio or scorecard")
    provider_id: int | None = Field(description="The provider of a scorecard.")
    status: str = Field(description="queued, running, done or failed")
    percent: int = Field(description="How far it has got, 0 to 100.")
    step: str = Field(description="What it is doing now.")
    error: str = Field(description="Why it failed; empty otherwise.")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    url: str = Field(description="This job, to poll.")
    download: str | None = Field(description="The PDF, once done; null until then.")


def _job_json(job) -> dict:
    from mutuals.publishing.models import JobStatus

    url = f"/api/v1/reports/jobs/{job.pk}"
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "provider_id": job.organisation_id,
        "status": job.status,
        "percent": job.percent,
        "step": job.step,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "url": url,
        "download": f"{url}.pdf" if job.status == JobStatus.DONE else None,
    }


def _accepted(job, response: HttpResponse):
    response["Location"] = f"/api/v1/reports/jobs/{job.pk}"
    response["Cache-Control"] = "private, no-store"
    return Status(202, _job_json(job))


def _check_portfolio(viewer: Viewer) -> None:
    if not (may(viewer, "view", "evaluation") and may(viewer, "view", "observation")):
        raise ApiProblem(
            403,
            "forbidden",
            "The portfolio report names every provider with figures from its returns: "
            "only those who may see every provider's returns (auditors) may download it.",
        )


def _provider(viewer: Viewer, provider_id: int) -> Organisation:
    providers = visible(viewer, "organisation").filter(kind=OrganisationKind.PROVIDER)
    organisation = providers.filter(pk=provider_id).first()
    if organisation is None:
        raise not_found(f"provider {provider_id}")
    if not allowed_in(viewer, "view", "observation", organisation.pk):
        raise ApiProblem(
            403,
            "forbidden",
            "A scorecard is made from the provider's returns: its managers, its "
            "commissioners and auditors may download it.",
        )
    return organisation


@router.get(
    "/reports/portfolio.{format}",
    response=schemas.responses({200: None, 202: ReportJob}),
    auth=READ,
    summary="Download the portfolio's value-for-money report",
    openapi_extra=_DOCUMENT,
)
def portfolio_report(request, format: Format, response: HttpResponse):
    """HTML at once; a PDF is queued (202) for a worker."""
    from mutuals import reports
    from mutuals.publishing import live_reports
    from mutuals.publishing.models import ReportKind

    who = caller(request)
    _check_portfolio(who.viewer)
    run = reports.latest_full_run()
    if format == "pdf":
        job = live_reports.ask(ReportKind.PORTFOLIO, run=run, user=who.user)
        return _accepted(job, response)
    return reports.attachment(reports.build_portfolio(run), format)


@router.get(
    "/reports/providers/{id}.{format}",
    response=schemas.responses({200: None, 202: ReportJob}),
    auth=READ,
    summary="Download a provider's scorecard report",
    openapi_extra=_DOCUMENT,
)
def provider_report(
    request, format: Format, response: HttpResponse, id: int = Path(..., ge=1, le=MAX_ID)
):
    """HTML at once; a PDF is queued (202) for a worker."""
    from mutuals import reports
    from mutuals.publishing import live_reports
    from mutuals.publishing.models import ReportKind

    who = caller(request)
    organisation = _provider(who.viewer, id)
    run = reports.latest_full_run()
    if format == "pdf":
        job = live_reports.ask(ReportKind.SCORECARD, organisation=organisation, run=run,
                               user=who.user)  # fmt: skip
        return _accepted(job, response)
    return reports.attachment(reports.build_provider(organisation, run), format)


def _job(request, id: str):
    """The job if the caller may see its report now (404 for none, or one not kept)."""
    from mutuals.publishing import live_reports
    from mutuals.publishing.models import ReportKind

    job = live_reports.find(id)
    if job is None:
        raise not_found(f"report job {id}")
    viewer = caller(request).viewer
    if job.kind == ReportKind.PORTFOLIO:
        _check_portfolio(viewer)
    else:
        _provider(viewer, job.organisation_id)
    return job


@router.get(
    "/reports/jobs/{uuid:id}.pdf",
    response=schemas.responses({200: None, 202: ReportJob}),
    auth=READ,
    summary="Download a report's PDF made by a worker",
    openapi_extra={
        "responses": {
            200: {"description": "The PDF, as an attachment.", "content": _PDF},
            202: {
                "description": "Not made yet: the job; poll its Location.",
                "headers": {"Location": {"schema": {"type": "string"}}},
            },
        }
    },
)
def report_job_pdf(request, id: str, response: HttpResponse):
    """The PDF once made (never stored on the way: ``private, no-store``); 202 with the
    job until then; 404 if it failed (ask for the report again)."""
    from mutuals import reports
    from mutuals.publishing import live_reports
    from mutuals.publishing.models import JobStatus

    job = _job(request, id)
    if job.status == JobStatus.FAILED:
        raise ApiProblem(
            404, "not-found", f"Report job {id} failed: {job.error} Ask for the report again."
        )
    pdf = live_reports.pdf_of(job)
    if pdf is None:
        return _accepted(job, response)
    return reports.download(pdf, "pdf", job.filename)


@router.get(
    "/reports/jobs/{uuid:id}",
    response=schemas.responses({200: ReportJob}),
    auth=READ,
    summary="Read a report PDF's job: its progress, then its download link",
)
def report_job(request, id: str, response: HttpResponse):
    response["Cache-Control"] = "private, no-store"
    return _job_json(_job(request, id))
