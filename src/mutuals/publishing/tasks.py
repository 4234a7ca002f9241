"""Publishing's background work, for ``mutuals worker``: a period's digests, and the report
PDFs (a published version's, and a live report someone asked for). Each task is safe to
run twice — a worker that dies holding one has it put back in the queue — and takes and
returns only plain JSON values."""

from __future__ import annotations

from django_tasks import task

from mutuals.publishing import digests, live_reports, version_pdfs


@task()
def send_digest(frequency: str) -> str:
    """Send ``frequency``'s digest of the last complete period; returns the run's summary.
    A period is never sent twice, whichever worker runs it and however often."""
    return str(digests.send(frequency))


@task()
def render_version_pdf(version_id: int) -> str:
    """Typeset a published version's PDF unless made already; returns its digest."""
    return version_pdfs.make(version_id)


@task()
def render_report_pdf(job_id: str) -> str:
    """Make the PDF a live report job asked for; returns the job's status."""
    return live_reports.make(job_id)
