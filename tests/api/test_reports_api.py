"""Report downloads through the API follow the web's rules; a PDF is made by a worker,
asked for with 202 and a Location to poll."""

from __future__ import annotations

import uuid

import pytest

from mutuals.publishing import tasks
from mutuals.reports import render

PROBLEM = "application/problem+json"
STAND_IN = b"%PDF-1.7\n% a stand-in for WeasyPrint\n%%EOF\n"


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run inline at enqueue (the settings fixture rebuilds django-tasks' backends)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.parametrize(
    ("role", "status"),
    [("auditor", 200), ("commissioner", 403), ("provider_manager", 403), ("public", 401)],
)
def test_the_portfolio_report_is_for_auditors(as_role, role, status):
    response = as_role(role).get("/reports/portfolio.html")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="value-for-money-')
        assert "Value for money" in response.content.decode()
    else:
        assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("role", "provider", "status"),
    [
        ("provider_manager", "health", 200),
        ("commissioner", "health", 200),  # its PCT commissions Brackenford
        ("commissioner", "practice", 403),
        ("provider_staff", "health", 403),
        ("auditor", "practice", 200),
    ],
)
def test_a_scorecard_is_for_those_who_may_see_the_returns(as_role, world, role, provider, status):
    response = as_role(role).get(f"/reports/providers/{world[provider].pk}.html")
    assert response.status_code == status, response.content[:300]


def test_a_scorecard_pdf_and_the_problems(as_role, world, immediate_tasks):
    auditor = as_role("auditor")
    asked = auditor.get(f"/reports/providers/{world['health'].pk}.pdf")
    assert asked.status_code == 202 and asked["Cache-Control"] == "private, no-store"
    job = asked.json()
    assert asked["Location"] == job["url"] == f"/api/v1/reports/jobs/{job['id']}"
    polled = auditor.get(job["url"].removeprefix("/api/v1")).json()  # made at once, inline
    assert polled["status"] == "done" and polled["download"] == job["url"] + ".pdf"
    pdf = auditor.get(polled["download"].removeprefix("/api/v1"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf["Cache-Control"] == "private, no-store"
    missing = auditor.get(f"/reports/providers/{world['pct'].pk}.html")  # not a provider
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert auditor.get(f"/reports/providers/{world['health'].pk}.docx").status_code == 422


class Queue:
    def __init__(self):
        self.job_ids = []

    def enqueue(self, job_id):
        self.job_ids.append(job_id)


def test_a_pdf_is_never_typeset_in_the_request_and_polled_until_made(
    as_role, monkeypatch, immediate_tasks
):
    queue = Queue()
    monkeypatch.setattr(tasks, "render_report_pdf", queue)
    monkeypatch.setattr(render, "pdf_of_html", lambda html: pytest.fail("typeset in a request"))
    auditor = as_role("auditor")
    asked = auditor.get("/reports/portfolio.pdf")
    assert asked.status_code == 202 and queue.job_ids == [asked.json()["id"]]
    job = auditor.get(asked["Location"].removeprefix("/api/v1")).json()
    assert job["status"] == "queued" and job["download"] is None
    early = auditor.get(f"/reports/jobs/{job['id']}.pdf")
    assert early.status_code == 202 and early["Location"] == job["url"]
    monkeypatch.setattr(render, "pdf_of_html", lambda html: STAND_IN)
    from mutuals.publishing import live_reports

    live_reports.make(job["id"])  # what a worker does
    assert auditor.get(f"/reports/jobs/{job['id']}.pdf").content == STAND_IN


@pytest.mark.parametrize(
    ("role", "provider", "status"),
    [
        ("provider_manager", "health", 200),
        ("commissioner", "practice", 403),  # its PCT commissions Brackenford, not the practice
        ("provider_staff", "health", 403),
        ("public", "health", 401),
    ],
)
def test_a_job_follows_the_report_s_rule_for_whoever_polls_it(
    as_role, world, monkeypatch, immediate_tasks, role, provider, status
):
    monkeypatch.setattr(render, "pdf_of_html", lambda html: STAND_IN)
    job = as_role("auditor").get(f"/reports/providers/{world[provider].pk}.pdf").json()
    caller = as_role(role)
    assert caller.get(f"/reports/jobs/{job['id']}").status_code == status
    assert caller.get(f"/reports/jobs/{job['id']}.pdf").status_code == status
    if status == 200:
        assert caller.get(f"/reports/jobs/{uuid.uuid4()}").status_code == 404
