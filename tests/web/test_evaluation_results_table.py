"""An evaluation run's results filter by programme, metric, verdict and method, and download
as CSV."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from .test_evaluation_pages import finished_run  # noqa: F401
from .test_page_conventions import check_conventions


def rows_of(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_results_filter_by_verdict_and_method(auditor_client, world, finished_run):  # noqa: F811
    url = reverse("evaluation-run", args=[finished_run.pk])
    everything = auditor_client.get(url).content.decode()
    check_conventions(everything)
    assert "2 results" in everything
    assert '<option value="too_early">Too early to assess</option>' in everything
    # Only the verdicts the run holds are offered.
    assert "Worsened" not in everything

    response = auditor_client.get(url, {"verdict": "improved"})
    page = response.content.decode()
    check_conventions(page)
    assert "1 result matches the filters" in page
    assert "synthetic control, from" not in page

    page = auditor_client.get(url, {"method": "synth"}).content.decode()
    assert "1 result matches the filters" in page and "synthetic control, from" in page

    page = auditor_client.get(url, {"method": "synth", "verdict": "improved"}).content.decode()
    assert "No results match" in page


def test_results_download_as_csv_with_the_filters(auditor_client, world, finished_run):  # noqa: F811
    url = reverse("evaluation-run", args=[finished_run.pk])
    rows = rows_of(auditor_client.get(url, {"download": "csv"}))
    assert len(rows) == 2
    did = next(row for row in rows if row["cohort"] == "2011-Q2" and not row["provider"])
    assert did["effect"] == "-1.25" and did["interval_low"] == "-1.84"
    assert did["verdict"] == "Improved" and did["metric"] == "Visits on time"
    rows = rows_of(auditor_client.get(url, {"download": "csv", "method": "synth"}))
    assert [row["provider"] for row in rows] == ["Brackenford Community Health CIC"]
