"""Each role's main journey from its home, in Chromium at 1280 and at 320 CSS pixels: the
"What needs you" items link to the right places, every page on the way is axe clean, and no
page ever scrolls sideways (a wide table scrolls inside its own labelled region)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from mutuals.contracts.models import Contract, ContractStatus
from mutuals.engagement.models import Response, Survey
from mutuals.evaluation.models import (
    Alert,
    AlertKind,
    EvaluationResult,
    EvaluationRun,
    RunStatus,
)
from mutuals.governance import ballots
from mutuals.governance.models import Person, RoleGroup
from mutuals.publishing.models import Item
from mutuals.registry.models import Programme

from .checks import axe_violations, describe
from .conftest import person, screenshot, sign_in_directly

pytestmark = pytest.mark.browser

WIDTHS = (1280, 320)
NEEDS = "section.mutuals-needs"


def assert_fits(page, name: str) -> None:
    """The page never scrolls sideways, is axe clean, and is saved as a screenshot."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"{name}-{width}px")
    assert scroll_width <= width, f"{name} is {scroll_width}px wide at {width}px"
    violations = axe_violations(page)
    assert not violations, f"axe found violations on {name} at {width}px:\n" + describe(violations)


def tables_fit_their_regions(page) -> list[str]:
    """Scroll regions whose table is wider than they are (clipped, needing a sideways scroll)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.mutuals-table-scroll')]
            .filter(region => region.scrollWidth > region.clientWidth + 1)
            .map(region => region.getAttribute('aria-labelledby') || region.getAttribute('aria-label'))"""
    )


def need_link(page, text: str):
    return page.locator(NEEDS).get_by_role("link", name=text)


@pytest.fixture(autouse=True)
def _as_of(world, monkeypatch):
    """The portfolio's as-of date, as the test world's returns give it (2011-Q3)."""
    monkeypatch.setattr("mutuals.web.returns_calendar.returns_as_of", lambda: dt.date(2011, 9, 30))


@pytest.fixture
def staff_ballot(world):
    health = world["health"]
    staff = person("staff@example.org", "provider_staff", health)
    for n in range(3):
        Person.objects.create(
            organisation=health,
            reference=f"S{n}",
            name=f"Staff member {n}",
            role_group=RoleGroup.FRONTLINE,
            employed_from=dt.date(2020, 1, 1),
            user=staff if n == 0 else None,
        )
    now = timezone.now()
    ballot = ballots.create_ballot(
        ballots.BallotDraft(
            organisation=health,
            question="Should we renew the contract with the trust?",
            options=["Yes", "No"],
            electorate_date=dt.date(2024, 3, 1),
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=7),
            subject="other",
        )
    )
    ballots.freeze(ballot.pk)
    return ballots.open_ballot(ballot.pk), staff


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_go_from_home_to_their_vote(page, site, world, staff_ballot, width):
    ballot, staff = staff_ballot
    sign_in_directly(page, site, staff)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    link = need_link(page, "Vote: Should we renew the contract with the trust?")
    expect(link).to_have_attribute("href", reverse("ballot-vote", args=[ballot.pk]))
    assert_fits(page, "home-staff")

    link.click()
    expect(page.locator("h1")).to_have_text("Your vote")
    assert_fits(page, "home-staff-vote")


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_go_from_home_to_their_survey_and_answer_it(page, site, world, staff_ballot, width):
    _, staff = staff_ballot
    today = timezone.localdate()
    survey = Survey.objects.create(
        organisation=world["health"],
        year=today.year,
        title="Staff survey this year",
        opens_on=today,
        closes_on=today + dt.timedelta(days=20),
        min_group_size=5,
    )
    sign_in_directly(page, site, staff)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    link = need_link(page, "Answer the survey: Staff survey this year")
    expect(link).to_have_attribute("href", reverse("survey-answer-signed-in", args=[survey.pk]))

    link.click()
    expect(page.locator("h1")).to_have_text("Staff survey this year")
    assert_fits(page, "home-staff-survey")
    page.get_by_role("group", name="I look forward to going to work").get_by_label(
        "Strongly agree"
    ).check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Answers received")
    assert_fits(page, "home-staff-survey-answered")
    assert Response.objects.get(survey=survey).q_look_forward == 5
    page.goto("/")
    expect(page.locator(NEEDS)).not_to_contain_text("Answer the survey")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_goes_from_the_returns_calendar_to_the_upload(
    page, site, world, staff_ballot, width
):
    health = world["health"]
    manager = person("manager@example.org", "provider_manager", health)
    sign_in_directly(page, site, manager)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    needs = page.locator(NEEDS)
    expect(needs).to_contain_text("Returns from Brackenford Community Health CIC")
    expect(needs.locator("table")).to_contain_text("Missing")
    ballot, _ = staff_ballot
    expect(
        need_link(page, "Manage the ballot: Should we renew the contract with the trust?")
    ).to_have_attribute("href", reverse("ballot-manage", args=[ballot.pk]))
    assert_fits(page, "home-manager")
    if width == 1280:
        assert tables_fit_their_regions(page) == []

    needs.get_by_role("link", name=re.compile("^Upload returns")).first.click()
    expect(page.locator("h1")).to_have_text("Upload returns")
    expect(page.locator("main")).to_contain_text("NQX01")
    expect(page.get_by_role("link", name=re.compile("Download a template"))).to_have_attribute(
        "href", re.compile(r"\?template=csv$")
    )
    page.get_by_text("Metric codes and their units").click()
    expect(page.locator("main")).to_contain_text("visits-on-time")
    assert_fits(page, "home-manager-upload")
    if width == 1280:
        assert tables_fit_their_regions(page) == []


@pytest.fixture
def failing_contract(world):
    contract = Contract.objects.create(
        reference="RTR-0003",
        title="Podiatry in Brackenford",
        provider=world["health"],
        start_date=dt.date(2012, 4, 1),
        end_date=dt.date(2015, 3, 31),
        annual_value=Decimal("300000.00"),
        status=ContractStatus.ACTIVE,
    )
    contract.commissioners.add(world["pct"])
    Alert.objects.create(
        organisation=world["health"],
        metric=world["visits"],
        kind=AlertKind.SPECIAL_CAUSE_CONCERN,
        period="2011-Q3",
        rule="shift",
    )
    return contract


@pytest.mark.parametrize("width", WIDTHS)
def test_a_commissioner_goes_from_a_failing_contract_to_the_filtered_table(
    page, site, world, failing_contract, width
):
    commissioner = person("commissioner@example.org", "commissioner", world["pct"])
    sign_in_directly(page, site, commissioner)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    link = need_link(page, "RTR-0003: Podiatry in Brackenford")
    expect(link).to_have_attribute("href", failing_contract.get_absolute_url())
    expect(need_link(page, "Brackenford Community Health CIC: Visits on time")).to_have_attribute(
        "href", f"{world['health'].get_absolute_url()}#open-alerts-heading"
    )
    assert_fits(page, "home-commissioner")

    link.click()
    expect(page.locator("h1")).to_have_text("Podiatry in Brackenford")
    assert_fits(page, "home-commissioner-contract")

    page.goto(f"/contracts/?audit=failing&commissioner={world['pct'].pk}")
    expect(page.locator("#result-count")).to_have_text("2 contracts")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Fail")
    assert_fits(page, "home-commissioner-contracts")
    if width == 1280:
        assert tables_fit_their_regions(page) == []
    page.get_by_role("link", name="Annual value").click()
    expect(page).to_have_url(re.compile(r"sort=value"))
    expect(page.locator("main table thead th[aria-sort=descending]")).to_have_count(1)


@pytest.fixture
def finished_run(world):
    run = EvaluationRun.objects.create(
        status=RunStatus.DONE, finished_at=timezone.now(), steps_done=1, steps_total=1
    )
    programme = Programme.objects.get(code="right-to-request")
    common = {"run": run, "programme": programme, "metric": world["visits"], "grade": 3}
    EvaluationResult.objects.create(
        **common, cohort="2011-Q2", method="did", treated_units=2, comparison_units=3,
        pre_periods=16, post_periods=30, att=-1.25, se=0.3, ci_low=-1.84, ci_high=-0.66,
        p_value=0.0001, verdict="improved",
    )  # fmt: skip
    EvaluationResult.objects.create(
        **common, cohort="2011-Q2", method="synth", organisation=world["health"],
        treated_units=1, comparison_units=3, pre_periods=16, post_periods=5, att=0.4,
        p_value=0.5, verdict="too_early", assessable_from="2013-Q1",
    )  # fmt: skip
    Item.objects.create(key="portfolio", kind="portfolio", title="Portfolio report draft")
    return run


@pytest.mark.parametrize("width", WIDTHS)
def test_an_auditor_goes_from_a_finished_run_to_its_filtered_results(
    page, site, world, finished_run, width
):
    auditor = person("auditor@example.org", "auditor")
    sign_in_directly(page, site, auditor)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    link = need_link(page, f"Evaluation run {finished_run.pk}")
    expect(link).to_have_attribute("href", finished_run.get_absolute_url())
    draft = Item.objects.get(key="portfolio")
    expect(need_link(page, "Portfolio report draft")).to_have_attribute(
        "href", draft.get_absolute_url()
    )
    assert_fits(page, "home-auditor")

    link.click()
    expect(page.locator("h1")).to_have_text(f"Run {finished_run.pk}")
    page.get_by_label("Verdict").select_option(label="Improved")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"verdict=improved"))
    expect(page.locator("#results-count")).to_have_text("1 result matches the filters")
    expect(page.get_by_role("link", name=re.compile("as CSV"))).to_have_attribute(
        "href", re.compile(r"download=csv")
    )
    assert_fits(page, "home-auditor-results")
    if width == 1280:
        page.goto(finished_run.get_absolute_url())
        assert tables_fit_their_regions(page) == []
