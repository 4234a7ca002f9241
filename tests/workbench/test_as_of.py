"""The portfolio's "as of" date: the end of the latest quarter whose returns are
substantially complete, so that one provider's early return cannot move it.

* the completeness rule: a lone early return, a gap, monthly and yearly returns, no
  returns, the setting, and never later than today;
* the fault itself, on the small demo world: one return for a later quarter, imported
  through the real import service, leaves the default "as of", the risk counts and the
  headline findings as they were, where the end of the latest period returned moves;
* the portfolio page says how complete the returns are, shows another quarter when asked
  (downloads included), and names the problem with a bad choice instead of failing.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import cache

import html5lib
import pytest
from django.core.cache import cache as django_cache
from django.db.models import Max
from django.urls import reverse

from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.evaluation.risk import assessed_providers, period_end, returns_as_of
from mutuals.registry.models import Organisation
from mutuals.reports.content import gather_portfolio
from mutuals.reports.findings import findings
from mutuals.returns.coverage import (
    AsOfError,
    coverage_from_counts,
    organisations_by_quarter,
    returns_coverage,
)
from mutuals.returns.models import CurrentObservation, Metric, Observation, Submission
from mutuals.returns.periods import parse_period, quarter_index
from mutuals.returns.services import import_returns

TODAY = date(2026, 12, 6)


def counts(**by_quarter: int) -> dict[int, int]:
    """Organisations by quarter index, written counts(q2019_1=10, ...)."""
    return {quarter_index(f"{k[1:5]}-Q{k[-1]}"): n for k, n in by_quarter.items()}


# --- the rule on counts ------------------------------------------------------------------------


def test_a_lone_early_return_does_not_move_the_as_of():
    steady = counts(q2019_1=10, q2019_2=10, q2019_3=9)
    coverage = coverage_from_counts({**steady, **counts(q2019_4=1)}, TODAY, 0.9)
    assert coverage.as_of == date(2019, 9, 30)
    assert coverage.latest_complete.label == "2019-Q3"
    assert coverage.quarter("2019-Q4").complete is False
    assert coverage_from_counts(steady, TODAY, 0.9).as_of == date(2019, 9, 30)


def test_a_run_of_early_returns_does_not_move_the_as_of_either():
    # One provider returns for two, then three, quarters ahead, one after the other: each
    # of those quarters is measured against the busiest recent quarter, not the one before.
    steady = counts(q2019_1=10, q2019_2=10, q2019_3=10)
    ahead = counts(q2019_4=1, q2020_1=1, q2020_2=1)
    coverage = coverage_from_counts({**steady, **ahead}, TODAY, 0.9)
    assert coverage.as_of == date(2019, 9, 30)
    assert not any(coverage.quarter(q).complete for q in ("2019-Q4", "2020-Q1", "2020-Q2"))


def test_a_real_fall_in_reporting_holds_the_date_back_for_a_year_at_most():
    # Two of ten providers hand their services back at the start of 2020.
    returned = counts(q2019_1=10, q2019_2=10, q2019_3=10, q2019_4=10, q2020_1=8, q2020_2=8,
                      q2020_3=8, q2020_4=8, q2021_1=8)  # fmt: skip
    coverage = coverage_from_counts(returned, TODAY, 0.9)
    assert not coverage.quarter("2020-Q4").complete  # 2019-Q4's ten are still in view
    assert coverage.as_of == date(2021, 3, 31)  # a year on, the eight are the norm


def test_a_quarter_after_a_gap_is_never_complete():
    # The isolated return two quarters ahead: even a share of 0 cannot make it complete.
    returned = counts(q2019_1=10, q2019_2=10, q2020_1=1)
    coverage = coverage_from_counts(returned, TODAY, 0.9)
    assert coverage.as_of == date(2019, 6, 30)
    assert coverage.quarter("2020-Q1").previous == 10  # 2019-Q2 is within the look-back
    alone = coverage_from_counts(counts(q2019_1=10, q2021_1=1), TODAY, 0.0)
    assert alone.quarter("2021-Q1").previous == 0 and not alone.quarter("2021-Q1").complete


def test_the_share_is_the_setting_s_and_90_percent_is_enough():
    assert coverage_from_counts(counts(q2019_1=10, q2019_2=9), TODAY, 0.9).as_of == date(
        2019, 6, 30
    )
    eight = counts(q2019_1=10, q2019_2=10, q2019_3=8)
    assert coverage_from_counts(eight, TODAY, 0.9).as_of == date(2019, 6, 30)
    assert coverage_from_counts(eight, TODAY, 0.8).as_of == date(2019, 9, 30)


def test_with_no_quarter_complete_the_earliest_returned_holds():
    assert coverage_from_counts(counts(q2019_3=5), TODAY, 0.9).as_of == date(2019, 9, 30)
    stray = coverage_from_counts(counts(q2019_3=5, q2020_1=1), TODAY, 0.9)
    assert stray.as_of == date(2019, 9, 30)
    assert "the earliest quarter returned: no quarter's returns are substantially" in (
        stray.sentence(stray.as_of)
    )


def test_never_later_than_today_and_future_quarters_are_left_out():
    returned = counts(q2026_3=10, q2026_4=10, q2027_1=10)
    coverage = coverage_from_counts(returned, TODAY, 0.9)
    assert coverage.as_of == TODAY
    assert [q.label for q in coverage.quarters] == ["2026-Q3", "2026-Q4"]
    assert "part way through 2026-Q4" in coverage.sentence(TODAY)


def test_with_no_returns_the_as_of_is_today():
    coverage = coverage_from_counts({}, TODAY, 0.9)
    assert coverage.as_of == TODAY and coverage.default is None
    assert "no quarterly or monthly returns have been received" in coverage.sentence(TODAY)


def test_the_sentence_says_how_complete_the_quarter_is():
    coverage = coverage_from_counts(counts(q2018_4=418, q2019_1=412), TODAY, 0.9)
    assert coverage.sentence(date(2019, 3, 31)) == (
        "Figures as of 31 March 2019, the end of 2019-Q1, the latest quarter with "
        "substantially complete returns: 412 organisations returned for it, 98% of the "
        "418 that returned in the busiest of the 4 quarters before."
    )
    chosen = coverage.sentence(date(2018, 12, 31))
    assert chosen.startswith("Figures as of 31 December 2018, the end of 2018-Q4, whose")
    assert "Unless another is chosen, figures are as of 31 March 2019" in chosen


def test_a_bad_choice_names_the_problem():
    coverage = coverage_from_counts(counts(q2019_1=10, q2019_2=10), TODAY, 0.9)
    assert coverage.choose("2019-q1").label == "2019-Q1"
    for text, problem in (
        ("2019-13", "'2019-13' is not a quarter"),
        ("banana", "'banana' is not a quarter"),
        ("2019-06", "'2019-06' is not a quarter"),
        ("2999-Q1", "2999-Q1 has not begun yet"),
        ("2018-Q4", "No organisation has returned anything for 2018-Q4"),
    ):
        with pytest.raises(AsOfError, match=problem):
            coverage.choose(text)


# --- the rule on the returns in the database ---------------------------------------------------


@pytest.fixture
def returns(db):
    metric = Metric.objects.create(
        code="cash-days", name="Cash days", unit="days", direction="higher", domain="finance"
    )
    submission = Submission.objects.create(source="cli")
    organisations = [
        Organisation.objects.create(
            name=f"Provider {n}", kind="provider", legal_form="company", region="north_east"
        )
        for n in range(10)
    ]

    def report(organisation, label, current=True, version=1):
        period = parse_period(label)
        Observation.objects.create(
            organisation=organisation,
            metric=metric,
            period=period.label,
            period_start=period.start,
            period_kind=period.kind,
            value=30.0,
            is_current=current,
            version=version,
            submission=submission,
        )

    return organisations, report


def test_no_returns_give_today(returns):
    assert returns_as_of(today=TODAY) == TODAY


def test_one_early_return_in_the_database_does_not_move_the_as_of(returns):
    organisations, report = returns
    for organisation in organisations:
        for label in ("2019-Q1", "2019-Q2"):
            report(organisation, label)
    report(organisations[0], "2019-Q3")
    report(organisations[0], "2020-Q1")
    assert returns_as_of(today=TODAY) == date(2019, 6, 30)
    coverage = returns_coverage(TODAY)
    assert coverage.quarter("2019-Q3").returned == 1


def test_a_month_counts_for_its_quarter_once_and_a_year_not_at_all(returns):
    organisations, report = returns
    monthly, quarterly = organisations[:5], organisations[5:]
    for organisation in monthly:
        for label in ("2019-01", "2019-02", "2019-03", "2019-04"):
            report(organisation, label)
    for organisation in quarterly:
        for label in ("2019-Q1", "2019-Q2"):
            report(organisation, label)
    for organisation in organisations:
        report(organisation, "2020/21")  # a financial year: not a quarter's return
    assert organisations_by_quarter() == counts(q2019_1=10, q2019_2=10)
    assert returns_as_of(today=TODAY) == date(2019, 6, 30)


def test_only_current_versions_count_and_the_setting_is_read(returns, settings):
    organisations, report = returns
    for organisation in organisations:
        report(organisation, "2019-Q1")
    for organisation in organisations[:8]:
        report(organisation, "2019-Q2")
    report(organisations[9], "2019-Q2", current=False)  # superseded: not a return now
    assert returns_as_of(today=TODAY) == date(2019, 3, 31)  # 8 of 10
    settings.MUTUALS_COMPLETE_RETURNS_SHARE = 0.8
    assert returns_as_of(today=TODAY) == date(2019, 6, 30)


# --- the fault, on the small demo world --------------------------------------------------------


@cache
def small_world():
    return build_world("small", seed=2011)


@pytest.fixture
def demo(db):
    load_world(small_world())
    django_cache.clear()  # the demo-data banner is cached


def _headline():
    figures = gather_portfolio(None)
    return figures.as_of, figures.risk.counts, findings(figures)


def _a_provider_reporting(metric: str, as_of: date) -> Organisation:
    """A provider assessed on ``as_of`` that returns ``metric`` and can be named in a file."""
    reporting = CurrentObservation.objects.filter(metric__code=metric).values("organisation")
    return (
        assessed_providers(as_of)
        .filter(pk__in=reporting)
        .exclude(ods_code="", company_number="", charity_number="")
        .order_by("pk")
        .first()
    )


def _identifier(organisation: Organisation) -> str:
    return organisation.ods_code or organisation.company_number or organisation.charity_number


@pytest.mark.slow
def test_one_later_return_moves_neither_the_as_of_nor_the_headline(demo, tmp_path):
    as_of, risk_counts, headline = _headline()
    assert as_of == returns_as_of() == date(2019, 12, 31)
    provider = _a_provider_reporting("cash-days", as_of)
    path = tmp_path / "one-return.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["organisation", "metric", "period", "value"])
        writer.writerow([_identifier(provider), "cash-days", "2020-Q1", "5"])  # a severe low

    report = import_returns(path, source="upload")

    assert report.imported == 1 and not report.problems
    # The end of the latest period anyone returned, the old "as of", has moved ...
    latest = CurrentObservation.objects.aggregate(latest=Max("period_start"))["latest"]
    assert period_end(latest, "quarter") == date(2020, 3, 31) > as_of
    # ... and measuring to it would change the headline, the fault this guards against.
    assert gather_portfolio(None, as_of=date(2020, 3, 31)).risk.counts != risk_counts
    # The default as-of, the risk counts and every headline finding have not.
    assert _headline() == (as_of, risk_counts, headline)
    assert returns_coverage().quarter("2020-Q1").complete is False


# --- the portfolio page ------------------------------------------------------------------------


@pytest.fixture
def auditor_client(client, demo):
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role

    user = get_user_model().objects.create_user(username="auditor@example.org")
    Role.objects.create(user=user, role="auditor")
    client.force_login(user)
    return client


def _parsed(html: str):
    """The page parsed strictly (any HTML error raises), with its ids unique."""
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    ids = [element.get("id") for element in document.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    return document


def _selected(document) -> list[str]:
    select = document.find(".//select[@id='as_of']")
    return [option.get("value") for option in select if option.get("selected") is not None]


@pytest.mark.slow
def test_the_portfolio_says_how_complete_its_returns_are_and_shows_another_quarter(
    auditor_client,
):
    response = auditor_client.get(reverse("portfolio"))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Figures as of 31 December 2019, the end of 2019-Q4, the latest quarter with "
        "substantially complete returns: 204 organisations returned for it, 100% of the 204 "
        "that returned in the busiest of the 4 quarters before." in page
    )
    assert _selected(_parsed(page)) == ["2019-Q4"]

    response = auditor_client.get(reverse("portfolio"), {"as_of": "2018-Q4"})
    assert response.status_code == 200
    assert response.context["figures"].as_of == date(2018, 12, 31)
    page = response.content.decode()
    assert "Portfolio as of 31 December 2018" in page
    assert "Figures as of 31 December 2018, the end of 2018-Q4, whose returns are" in page
    assert _selected(_parsed(page)) == ["2018-Q4"]
    assert 'href="/portfolio/report.html?as_of=2018-Q4"' in page

    download = auditor_client.get(reverse("portfolio-report-html"), {"as_of": "2018-Q4"})
    assert download.status_code == 200
    assert 'filename="value-for-money-2018-12-31.html"' in download["Content-Disposition"]


@pytest.mark.slow
def test_a_bad_as_of_is_named_on_the_page_not_a_server_error(auditor_client):
    for text, problem in (
        ("2018-13", "&#x27;2018-13&#x27; is not a quarter: choose one from the list"),
        ("1999-Q1", "No organisation has returned anything for 1999-Q1"),
    ):
        response = auditor_client.get(reverse("portfolio"), {"as_of": text})
        assert response.status_code == 400
        page = response.content.decode()
        document = _parsed(page)
        assert document.find(".//title").text.strip().startswith("Error: ")
        assert "There is a problem" in page and 'href="#as_of"' in page
        assert page.count(problem) == 2  # in the summary and beside the choice
        assert response.context["figures"].as_of == date(2019, 12, 31)  # the default
        assert _selected(document) == ["2019-Q4"]

    download = auditor_client.get(reverse("portfolio-report-pdf"), {"as_of": "2018-13"})
    assert download.status_code == 302
    assert download["Location"] == reverse("portfolio") + "?as_of=2018-13"
