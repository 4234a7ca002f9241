"""The workbench's reports as PDFs — the portfolio report, a provider's scorecard — made by
a worker when someone asks, never in their request.

Asking (:func:`ask`) records a :class:`~mutuals.publishing.models.ReportJob` and queues
it; the person is sent to the job's page, which shows its progress and then the download.
The worker (:func:`make`) gathers the figures as of that moment, renders the HTML and
typesets it, and stores the PDF in the job's row, so any web process can serve it.

**Reuse.** A second request for the same report — same kind, subject, as-of date and
latest full evaluation run — while a job for it is still queued or being made joins that
job: it reads the data no earlier than a few seconds before the second request. A finished
job is not handed out again, because returns, contracts and alerts may have changed since
it read them and nothing cheap fingerprints all a report reads; the new job gathers the
figures again (seconds) and, if the report then says exactly what one made in the last
day says (its HTML, leaving out the time it was made, has the same SHA-256), copies that
PDF — "made" at its own time, from the same data — instead of typesetting it again. Jobs
and their PDFs are kept for :data:`KEEP`, then deleted.

**Who may see it.** A report's figures come from providers' returns, so every look at a
job — its page, its progress, its download — applies the report's own rule again to the
person looking (the faces do: the web's workbench views, the API's reports router); the
job's random id is not a key to it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from mutuals import reports
from mutuals.evaluation.models import EvaluationRun
from mutuals.publishing.models import JobStatus, ReportJob, ReportKind
from mutuals.registry.models import Organisation
from mutuals.reports import Report
from mutuals.reports import render as report_render

logger = logging.getLogger(__name__)
KEEP = timedelta(days=1)
JOIN_WITHIN = timedelta(minutes=30)  # older and still unfinished: presumed lost, not joined
GATHERING, TYPESETTING = 10, 40  # per cent done when each step starts
TIMELESS = datetime(2000, 1, 1, tzinfo=UTC)  # stands for "when it was made" in the digest
FAILED = "Something went wrong while making it, and it has been logged: ask for it again."


def key_of(kind: str, organisation_id: int | None, as_of: date | None, run_id: int | None) -> str:
    text = f"{kind}|{organisation_id or ''}|{as_of.isoformat() if as_of else ''}|{run_id or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def ask(
    kind: str,
    *,
    organisation: Organisation | None = None,
    as_of: date | None = None,
    run: EvaluationRun | None = None,
    user=None,
) -> ReportJob:
    """The job making this report's PDF: one queued or being made for the same report,
    else a new one, queued. The caller has checked that the person may see the report."""
    forget_old()
    organisation_id = organisation.pk if organisation else None
    key = key_of(kind, organisation_id, as_of, run.pk if run else None)
    joined = (
        ReportJob.objects.filter(
            key=key,
            status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
            created_at__gte=timezone.now() - JOIN_WITHIN,
        )
        .defer("pdf")
        .first()
    )
    if joined is not None:
        return joined
    job = ReportJob.objects.create(
        kind=kind,
        organisation=organisation if kind == ReportKind.SCORECARD else None,
        as_of=as_of,
        run=run,
        key=key,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )
    from mutuals.publishing.tasks import render_report_pdf

    render_report_pdf.enqueue(str(job.pk))
    return ReportJob.objects.defer("pdf").get(pk=job.pk)  # run already, by an inline backend


def find(job_id) -> ReportJob | None:
    """A job still kept (its PDF not read)."""
    return (
        ReportJob.objects.filter(pk=job_id, created_at__gte=timezone.now() - KEEP)
        .defer("pdf")
        .select_related("organisation")
        .first()
    )


def pdf_of(job: ReportJob) -> bytes | None:
    pdf = ReportJob.objects.filter(pk=job.pk, status=JobStatus.DONE).values_list("pdf", flat=True)
    found = pdf.first()
    return None if found is None else bytes(found)


def forget_old() -> int:
    """Delete jobs (and their PDFs) older than :data:`KEEP`."""
    deleted, _ = ReportJob.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted


def make(job_id: str) -> str:
    """Build the job's report and typeset it, or copy an identical PDF (the workers' task;
    safe to run twice). Returns the job's status."""
    job = ReportJob.objects.filter(pk=job_id).defer("pdf").select_related("organisation").first()
    if job is None or job.status == JobStatus.DONE:
        return job.status if job else "gone"
    _step(job, GATHERING, "Gathering the figures", started_at=timezone.now())
    try:
        report = _build(job)
        digest = content_digest(report)
        _step(job, TYPESETTING, "Laying out the pages")
        pdf = _made_already(digest, job) or report_render.render_pdf(report)
    except Exception as error:
        _fail(job, error)
        raise
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        percent=100,
        step="",
        pdf=pdf,
        html_sha256=digest,
        filename=report.filename,
        finished_at=timezone.now(),
    )
    return JobStatus.DONE


def _build(job: ReportJob):
    if job.kind == ReportKind.PORTFOLIO:
        return reports.build_portfolio(job.run, as_of=job.as_of)
    return reports.build_provider(job.organisation, job.run, as_of=job.as_of)


def content_digest(report: Report) -> str:
    """The SHA-256 of what the report says: its HTML, with the time it was made left out."""
    timeless = report_render.render_html(replace(report, generated_at=TIMELESS))
    return hashlib.sha256(timeless.encode()).hexdigest()


def _made_already(digest: str, job: ReportJob) -> bytes | None:
    """The PDF of another job, made in the last day, whose report says exactly this."""
    twin = (
        ReportJob.objects.filter(
            html_sha256=digest,
            status=JobStatus.DONE,
            created_at__gte=timezone.now() - KEEP,
        )
        .exclude(pk=job.pk)
        .values_list("pdf", flat=True)
        .first()
    )
    return None if twin is None else bytes(twin)


def _step(job: ReportJob, percent: int, step: str, **more) -> None:
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, percent=percent, step=step, **more
    )


def _fail(job: ReportJob, error: Exception) -> None:
    known = isinstance(error, reports.ReportError)
    if not known:
        logger.exception("report PDF job %s failed", job.pk)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        step="",
        error=str(error) if known else FAILED,
        finished_at=timezone.now(),
    )
