"""The workbench's report PDFs are made by a worker: asking queues a job and shows its
progress, the download comes once it is made, and each look applies the report's rule."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from mutuals.publishing import live_reports, tasks
from mutuals.publishing.models import JobStatus, ReportJob
from mutuals.reports import ReportError, render

from .test_page_conventions import _sign_in_as, check_conventions

pytestmark = pytest.mark.django_db
STAND_IN = b"%PDF-1.7\n% a stand-in for WeasyPrint\n%%EOF\n"


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run inline at enqueue (the settings fixture rebuilds django-tasks' backends)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class Typesetter:
    """Counts what is typeset; fails the test if anything is while ``refuse`` is set."""

    def __init__(self):
        self.calls = 0
        self.refuse = False

    def __call__(self, html: str) -> bytes:
        assert not self.refuse, "a PDF was typeset inside the request"
        self.calls += 1
        return STAND_IN


@pytest.fixture
def typesetter(monkeypatch):
    counted = Typesetter()
    monkeypatch.setattr(render, "pdf_of_html", counted)
    return counted


class Queue:
    """Stands in for the task: keeps the job ids, for the test to make as a worker would."""

    def __init__(self):
        self.job_ids = []

    def enqueue(self, job_id):
        self.job_ids.append(job_id)


@pytest.fixture
def queue(monkeypatch):
    kept = Queue()
    monkeypatch.setattr(tasks, "render_report_pdf", kept)
    return kept


def test_asking_for_the_pdf_queues_a_job_and_typesets_nothing_in_the_request(
    client, world, typesetter, queue
):
    _sign_in_as(client, world, "auditor")
    typesetter.refuse = True
    asked = client.get(reverse("portfolio-report-pdf"))
    [job_id] = queue.job_ids
    page_url = reverse("report-job", args=[job_id])
    assert asked.status_code == 302 and asked["Location"] == page_url
    # A second request while it waits joins the same job.
    assert client.get(reverse("portfolio-report-pdf"))["Location"] == page_url
    assert queue.job_ids == [job_id]

    waiting = client.get(page_url)
    page = waiting.content.decode()
    check_conventions(page)
    assert "Your PDF is being made" in page and "Download the PDF" not in page
    progress_url = reverse("report-job-progress", args=[job_id])
    assert f'data-progress-url="{progress_url}"' in page and "mutuals/progress" in page
    assert waiting["Cache-Control"] == "private, no-store"
    assert client.get(progress_url).json()["status"] == JobStatus.QUEUED
    early = client.get(reverse("report-job-download", args=[job_id]))
    assert early.status_code == 302 and early["Location"] == page_url

    typesetter.refuse = False
    live_reports.make(job_id)  # what a worker does
    assert typesetter.calls == 1
    assert client.get(progress_url).json() == {
        "status": "done", "status_text": "Ready", "step": "", "percent": 100,
    }  # fmt: skip
    ready = client.get(page_url).content.decode()
    check_conventions(ready)
    download_url = reverse("report-job-download", args=[job_id])
    assert "Your PDF is ready" in ready and f'href="{download_url}"' in ready
    assert "data-progress-url" not in ready
    pdf = client.get(download_url)
    assert pdf.status_code == 200 and pdf.content == STAND_IN
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith('attachment; filename="value-for-money-')
    assert pdf["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("role", "status"), [("public", 302), ("commissioner", 403), ("provider_manager", 403)]
)  # someone not signed in is asked to sign in: 302
def test_a_portfolio_job_is_only_for_those_who_may_see_the_portfolio_report(
    client, world, typesetter, role, status
):
    job = live_reports.ask("portfolio")  # made at once, here
    assert job.status == JobStatus.DONE
    _sign_in_as(client, world, role)
    for name in ("report-job", "report-job-progress", "report-job-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == status, name


@pytest.mark.parametrize(
    ("role", "provider", "status"),
    [
        ("provider_manager", "health", 200),
        ("commissioner", "health", 200),  # the PCT commissions Brackenford
        ("commissioner", "practice", 403),
        ("public", "health", 302),  # asked to sign in
    ],
)
def test_a_scorecard_job_follows_who_may_see_the_provider_s_returns(
    client, world, typesetter, role, provider, status
):
    job = live_reports.ask("scorecard", organisation=world[provider])
    _sign_in_as(client, world, role)
    download = client.get(reverse("report-job-download", args=[job.pk]))
    assert download.status_code == status
    if status == 200:
        assert download.content == STAND_IN
    assert client.get(reverse("report-job", args=[job.pk])).status_code == status
    assert client.get(reverse("report-job", args=[uuid.uuid4()])).status_code == 404


def test_a_scorecard_pdf_asked_again_after_it_was_made_is_copied_not_typeset(
    client, world, typesetter
):
    _sign_in_as(client, world, "provider_manager")
    url = reverse("scorecard-report-pdf", args=[world["health"].pk])
    first, second = client.get(url)["Location"], client.get(url)["Location"]
    assert first != second  # a finished job is not handed out again: the data may have moved
    assert typesetter.calls == 1  # but the report said the same, so its PDF was copied
    jobs = list(ReportJob.objects.order_by("created_at"))
    assert [job.status for job in jobs] == [JobStatus.DONE, JobStatus.DONE]
    assert jobs[0].html_sha256 == jobs[1].html_sha256
    pdf = client.get(reverse("report-job-download", args=[jobs[1].pk]))
    assert pdf.status_code == 200 and pdf.content == STAND_IN


def test_a_job_that_fails_says_why(client, world, typesetter, monkeypatch):
    def no_report(*args, **kwargs):
        raise ReportError("No organisation has returned anything yet.")

    monkeypatch.setattr(live_reports.reports, "build_portfolio", no_report)
    _sign_in_as(client, world, "auditor")
    page = client.get(reverse("portfolio-report-pdf"), follow=True).content.decode()
    check_conventions(page)
    assert "The PDF could not be made" in page
    assert "No organisation has returned anything yet." in page
    job = ReportJob.objects.get()
    assert job.status == JobStatus.FAILED and typesetter.calls == 0
    download = client.get(reverse("report-job-download", args=[job.pk]))
    assert download.status_code == 302


def test_jobs_are_kept_for_a_day(client, world, typesetter):
    job = live_reports.ask("portfolio")
    ReportJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at - live_reports.KEEP - live_reports.KEEP / 24
    )
    _sign_in_as(client, world, "auditor")
    assert client.get(reverse("report-job-download", args=[job.pk])).status_code == 404
    live_reports.ask("portfolio")
    assert not ReportJob.objects.filter(pk=job.pk).exists()
