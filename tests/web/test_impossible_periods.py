"""Returns stored for periods that cannot exist break no page and no command.

Validation refuses such periods, but rows written before it did (or by hand) stay in the
database. Here they are planted directly, bypassing validation, and every read path that
works out dates from the returns is opened: each leaves the bad rows out, and the pages
that say what date their figures are as of name them.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from mutuals.returns.coverage import returns_coverage
from mutuals.returns.models import Direction, Domain, Metric, Observation, Submission

from .test_page_conventions import _sign_in_as

# (label, start, kind): periods no return can be for, as a stored row might hold them.
IMPOSSIBLE = [
    ("9999-Q4", dt.date(9999, 10, 1), "quarter"),
    ("9999/00", dt.date(9999, 4, 1), "year"),
    ("9999-12", dt.date(9999, 12, 1), "month"),
    ("2107-Q1", dt.date(2107, 1, 1), "quarter"),
    ("1800-Q1", dt.date(1800, 1, 1), "quarter"),
]


def _plant(organisation, metrics, periods):
    submission = Submission.objects.create(source=Submission.Source.CLI, row_count=1)
    for metric in metrics:
        for label, start, kind in periods:
            Observation.objects.create(
                organisation=organisation,
                metric=metric,
                period=label,
                period_start=start,
                period_kind=kind,
                value=4.0,
                submission=submission,
            )


@pytest.fixture
def planted(world):
    """The impossible periods, for the health provider, in returns its risk reads too."""
    cash = Metric.objects.create(
        code="cash-days",
        name="Cash days",
        unit="days",
        direction=Direction.HIGHER_IS_BETTER,
        domain=Domain.FINANCE,
    )
    _plant(world["health"], (world["sickness"], cash), IMPOSSIBLE)
    return world


def test_pages_and_downloads_leave_impossible_periods_out_and_name_them(client, planted):
    _sign_in_as(client, planted, "auditor")
    health = planted["health"].pk
    for url in (
        reverse("portfolio"),
        reverse("portfolio-report-html"),
        reverse("scorecard", args=[health]),
        reverse("scorecard-report-html", args=[health]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("portfolio")).content.decode()
    assert "Figures as of 30 September 2011" in page  # not moved to 1800 or to 9999
    assert "periods no return can be for (1800-Q1, 2107-Q1, 9999-12, 9999-Q4" in page


@pytest.fixture
def last_quarter(world):
    """A return for 9999-Q4 alone (the quarter after it would be in year 10000), and a
    contract that runs to the last day there is."""
    _plant(world["health"], (world["sickness"],), IMPOSSIBLE[:1])
    world["health_contract"].end_date = dt.date(9999, 12, 31)
    world["health_contract"].save()
    return world


def test_the_audit_command_leaves_impossible_periods_out(last_quarter):
    out = io.StringIO()
    call_command("audit", stdout=out)
    assert "Provider-failure risk as of 30 September 2011" in out.getvalue()


def test_the_audit_command_takes_the_last_day_there_is(last_quarter):
    out = io.StringIO()
    call_command("audit", "--as-of", "9999-12-31", stdout=out)
    assert "Provider-failure risk as of 31 December 9999" in out.getvalue()


def test_coverage_leaves_out_labels_that_are_not_periods(world):
    _plant(world["health"], (world["sickness"],), [("rubbish", dt.date(2011, 4, 1), "quarter")])
    coverage = returns_coverage(dt.date(2012, 1, 1))
    assert [q.label for q in coverage.quarters] == ["2011-Q2", "2011-Q3"]
    assert coverage.left_out == ("rubbish",)
    assert "(rubbish) are left out" in coverage.sentence(coverage.as_of)
