"""The workbench pages: the portfolio dashboard, a provider's scorecard, their report
downloads and the contract page's objectives audit — who may see them, what they show, and
that they keep the page conventions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mutuals.evaluation import services
from mutuals.evaluation.models import Alert, EvaluationResult, EvaluationRun, RunStatus
from mutuals.registry.models import Programme

from .test_page_conventions import _sign_in_as, check_conventions

SCIENTIFIC = re.compile(r"\d[eE][+-]\d")  # 6.83e+03, 1e-7: never on a page people read


@pytest.fixture
def finished_run(world):
    """A finished run of everything, with one cohort estimate and one single-provider one."""
    run = EvaluationRun.objects.create(
        status=RunStatus.DONE,
        configuration=services.EvaluationConfig().to_json(),
        code_version="0.1.0+abc",
        fingerprint="e" * 64,
    )
    programme = Programme.objects.get(code="right-to-request")
    common = {"run": run, "programme": programme, "metric": world["visits"], "grade": 3}
    EvaluationResult.objects.create(
        **common, cohort="2011-Q2", method="did", treated_units=2, comparison_units=3,
        pre_periods=16, post_periods=5, att=1.25, se=0.6, ci_low=-0.1, ci_high=2.6,
        ci_level=0.95, p_value=0.06, verdict="too_early", assessable_from="2013-Q1",
        reason="The 95% interval runs from −0.1 to +2.6 visits, which includes both no effect "
        "and effects of 0.5 visits or more; it should be assessable after 8 post-periods.",
    )  # fmt: skip
    EvaluationResult.objects.create(
        **common, cohort="2011-Q2", method="synth", organisation=world["health"],
        treated_units=1, comparison_units=3, pre_periods=16, post_periods=9, att=-0.4,
        p_value=0.5, verdict="inconclusive",
    )  # fmt: skip
    Alert.objects.create(
        organisation=world["health"], metric=world["sickness"], kind="concern", period="2011-Q3",
        rule="outside_limits", value=4.1,
    )  # fmt: skip
    return run


@pytest.fixture
def long_series(world):
    """Twelve more quarters of sickness absence, so the series is judged by SPC."""
    from mutuals.returns.models import Observation, PeriodKind, Submission
    from mutuals.returns.periods import parse_period

    submission = Submission.objects.create(source=Submission.Source.DEMO, row_count=12)
    for n, label in enumerate(f"{y}-Q{q}" for y in (2008, 2009, 2010) for q in (1, 2, 3, 4)):
        period = parse_period(label)
        Observation.objects.create(
            organisation=world["health"], metric=world["sickness"], period=label,
            period_start=period.start, period_kind=PeriodKind.QUARTER, value=4.0 + (n % 3) / 10,
            submission=submission,
        )  # fmt: skip


def _scorecard(world, name="health"):
    return reverse("scorecard", args=[world[name].pk])


# --- who may see what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["public", "provider_manager"])
def test_only_auditors_and_commissioners_see_the_portfolio(client, world, role):
    _sign_in_as(client, world, role)
    for name in ("portfolio", "portfolio-report-pdf", "portfolio-report-html"):
        # Someone not signed in is asked to sign in first; a signed-in person may not see it.
        assert client.get(reverse(name)).status_code == (302 if role == "public" else 403), name
    assert 'href="/portfolio/"' not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    ("role", "provider", "status"),
    [
        ("auditor", "health", 200),
        ("auditor", "practice", 200),
        ("commissioner", "health", 200),  # the PCT commissions the health provider
        ("commissioner", "practice", 403),  # but not the council's practice
        ("provider_manager", "health", 200),
        ("provider_manager", "practice", 403),
        ("public", "health", 302),  # asked to sign in
    ],
)
def test_a_scorecard_follows_who_may_see_the_provider_s_returns(
    client, world, role, provider, status
):
    _sign_in_as(client, world, role)
    assert client.get(_scorecard(world, provider)).status_code == status
    if status in (302, 403):
        report = reverse("scorecard-report-html", args=[world[provider].pk])
        assert client.get(report).status_code == status


def test_there_is_no_scorecard_for_what_is_not_a_provider(client, world):
    _sign_in_as(client, world, "auditor")
    for pk in (world["pct"].pk, world["comparators"][0].pk, 999_999):
        assert client.get(reverse("scorecard", args=[pk])).status_code == 404
        assert client.get(reverse("scorecard-report-pdf", args=[pk])).status_code == 404


# --- the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "commissioner"])
def test_the_dashboard_keeps_the_conventions_and_shows_the_portfolio(
    client, world, finished_run, role
):
    _sign_in_as(client, world, role)
    home = client.get(reverse("home")).content.decode()
    assert 'href="/portfolio/"' in home
    response = client.get(reverse("portfolio"))
    assert response.status_code == 200
    page = response.content.decode()
    check_conventions(page)
    for words in (
        "Headline findings",
        "The portfolio holds 3 contracts worth £15.2m a year",
        "Objectives audit by commissioner",
        "Right to Request",
        "Savings could be measured for none of the 3 contracts",
        f"evaluation run {finished_run.pk}",
        "Too early to assess",
        "until 2013-Q1",
        "rose by 1.25",  # each impact row read out in words
        "the 95% interval runs from a fall of 0.100 to a rise of 2.60",
        "includes both no effect and effects of 0.5 visits or more",
        "Providers at high risk of failure",
        "Special causes of concern",
    ):
        assert words in page, words
    assert not SCIENTIFIC.search(page), SCIENTIFIC.search(page)
    # The whole-portfolio report names every provider with figures from its returns.
    downloads = ('href="/portfolio/report.pdf"', 'href="/portfolio/report.html"')
    assert all((link in page) == (role == "auditor") for link in downloads)
    status = client.get(reverse("portfolio-report-html")).status_code
    assert status == (200 if role == "auditor" else 403)


def test_the_dashboard_without_an_evaluation_says_so(client, world):
    _sign_in_as(client, world, "auditor")
    page = client.get(reverse("portfolio")).content.decode()
    check_conventions(page)
    assert "No evaluation of every programme and metric has finished yet" in page
    assert "No impact evaluation has been run" in page


@pytest.mark.parametrize("role", ["auditor", "commissioner", "provider_manager"])
def test_the_scorecard_keeps_the_conventions_and_shows_the_provider(
    client, world, finished_run, long_series, role
):
    _sign_in_as(client, world, role)
    response = client.get(_scorecard(world))
    page = response.content.decode()
    check_conventions(page)
    for words in (
        "Brackenford Community Health CIC",
        "Key findings",
        "Risk of failure",
        "Income concentration",
        "RTR-0001",
        "Measurable objectives",
        "Passed",
        "Savings against the counterfactual",
        "Impact on services",
        "Inconclusive",
        "Statistical process control",
        "Sickness absence",
        'class="mutuals-icon"',
        "Common cause variation",
        "Not judged: fewer than 12 points",
        "1 open alert",
        f'href="/organisations/{world["health"].pk}/report.pdf"',
    ):
        assert words in page, words
    assert not SCIENTIFIC.search(page), SCIENTIFIC.search(page)


def test_the_contract_page_shows_the_objectives_audit(client, world):
    page = client.get(world["health_contract"].get_absolute_url()).content.decode()
    check_conventions(page)
    assert "Objectives audit" in page and "6 of 6 tests passed" in page
    assert "1 of 2 objectives is measurable (a metric, a target and a deadline)." in page
    assert page.count('govuk-tag--green">Passed') == 6
    # savings need the returns, which the public may not see
    assert "which only its commissioners, its managers and auditors can see" in page

    other = client.get(world["practice_contract"].get_absolute_url()).content.decode()
    check_conventions(other)
    assert "0 of 6 tests passed" in other and other.count('govuk-tag--red">Not passed') == 6
    assert "No in-house baseline is recorded, so savings cannot be measured." in other
    assert "Savings against the counterfactual" not in other  # no baseline, no savings


def test_the_contract_page_gives_the_savings_to_those_who_may_see_returns(client, world):
    _sign_in_as(client, world, "commissioner")
    page = client.get(world["health_contract"].get_absolute_url()).content.decode()
    check_conventions(page)
    assert "Savings against the counterfactual" in page
    assert "The metric catalogue has no &#x27;contacts-delivered&#x27; metric" in page


# --- the downloads -----------------------------------------------------------------------------


def test_the_reports_download_as_attachments(client, world, finished_run, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _sign_in_as(client, world, "auditor")
    html = client.get(reverse("portfolio-report-html"))
    assert html.status_code == 200 and html["Content-Type"] == "text/html; charset=utf-8"
    assert html["Content-Disposition"].startswith('attachment; filename="value-for-money-')
    text = html.content.decode()
    assert "Value for money of staff-led public service spin-outs" in text
    assert f"Evaluation run {finished_run.pk}" in text

    # The PDF is made by a worker (inline here) and downloaded from the job's page.
    pdf = client.get(reverse("scorecard-report-pdf", args=[world["health"].pk]), follow=True)
    download = re.search(r'href="(/reports/[^"]+/report\.pdf)"', pdf.content.decode())
    pdf = client.get(download.group(1))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="scorecard-{world["health"].pk}-2011-09-30.pdf"'
    )
    assert pdf.content.startswith(b"%PDF-")
