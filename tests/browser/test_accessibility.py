"""Every main page, rendered in Chromium, has no WCAG 2.2 AA violation that axe-core finds and
reflows at 320 CSS pixels (WCAG 1.4.10); each is saved as a screenshot, wide and narrow, in
test-artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .checks import assert_accessible, assert_reflows, axe_violations, describe
from .conftest import person, sign_in_directly

pytestmark = pytest.mark.browser

# Each page by a name (also its screenshot's name), with how to reach it in the test world.
PAGES: dict[str, Callable[[dict], str]] = {
    "home": lambda world: reverse("home"),
    "organisations": lambda world: reverse("organisations"),
    "organisations-filtered": lambda world: (
        reverse("organisations") + "?q=brack&programme=right-to-request&kind=provider"
    ),
    "organisations-empty": lambda world: reverse("organisations") + "?q=nothing-matches",
    "organisation-provider": lambda world: world["health"].get_absolute_url(),
    "organisation-commissioner": lambda world: world["pct"].get_absolute_url(),
    "organisation-comparator": lambda world: world["comparators"][0].get_absolute_url(),
    "contracts": lambda world: reverse("contracts"),
    "contracts-filtered": lambda world: reverse("contracts") + "?status=active",
    "contract-with-baseline": lambda world: world["health_contract"].get_absolute_url(),
    "contract-without-baseline": lambda world: world["practice_contract"].get_absolute_url(),
    "not-found": lambda world: "/no-such-page/",
}


# Pages behind sign-in: who signs in, and the page. A question page of the contract journey
# needs the draft its first page starts, so those go through the start page first.
SIGNED_IN_PAGES: dict[str, tuple[str, Callable[[dict], str]]] = {
    "account-auditor": ("auditor", lambda world: reverse("account")),
    "account-name-auditor": ("auditor", lambda world: reverse("account-name")),
    "surveys-manager": (
        "provider_manager",
        lambda world: reverse("surveys", args=[world["health"].pk]),
    ),
    "survey-new-manager": (
        "provider_manager",
        lambda world: reverse("survey-new", args=[world["health"].pk]),
    ),
    "invite-auditor": ("auditor", lambda world: reverse("invite")),
    "evaluations-auditor": ("auditor", lambda world: reverse("evaluations")),
    "portfolio-auditor": ("auditor", lambda world: reverse("portfolio")),
    "scorecard-commissioner": (
        "commissioner",
        lambda world: reverse("scorecard", args=[world["health"].pk]),
    ),
    "contract-commissioner": (
        "commissioner",
        lambda world: world["health_contract"].get_absolute_url(),
    ),
    "account-provider-manager": ("provider_manager", lambda world: reverse("account")),
    "returns-upload": (
        "provider_manager",
        lambda world: reverse("returns-upload", args=[world["health"].pk]),
    ),
    **{
        f"contract-new-{step}": (
            "commissioner",
            lambda world, step=step: reverse("contract-new-step", args=[step]),
        )
        for step in ("terms", "commissioners", "baseline", "objectives", "value")
    },
    "contract-edit-check": (
        "commissioner",
        lambda world: reverse("contract-edit-check", args=[world["health_contract"].pk]),
    ),
    "contract-edit-tasks": (
        "commissioner",
        lambda world: reverse("contract-edit-step", args=[world["health_contract"].pk, "tasks"]),
    ),
}
DRAFT_STARTS = {
    "contract-new-": lambda world: reverse("contract-new"),
    "contract-edit-": lambda world: reverse("contract-edit", args=[world["health_contract"].pk]),
}
# Where each role is held in the test world (an auditor holds it across all organisations).
ROLE_IN = {"auditor": None, "provider_manager": "health", "commissioner": "pct"}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_wcag_violations(page, world, name):
    response = page.goto(PAGES[name](world))
    assert response.status == (404 if name == "not-found" else 200)
    page.wait_for_load_state("load")
    # GOV.UK Frontend's JavaScript ran (init.js, an ES module served from our static files).
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert_accessible(page, name)
    assert_reflows(page, name)


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_page_has_no_wcag_violations(page, site, world, name):
    role, url = SIGNED_IN_PAGES[name]
    where = ROLE_IN[role]
    sign_in_directly(page, site, person(f"{role}@example.org", role, where and world[where]))
    for prefix, start in DRAFT_STARTS.items():
        if name.startswith(prefix):
            page.goto(start(world))
    response = page.goto(url(world))
    assert response.status == 200
    assert page.url.endswith(url(world)), f"{name} sent {role} to {page.url}"
    assert_accessible(page, name)
    assert_reflows(page, name)


@pytest.mark.parametrize(
    ("name", "url", "button"),
    [
        ("sign-in", "/sign-in/", None),
        ("sign-in-errors", "/sign-in/", "Sign in"),
        ("password-reset", "/password-reset/", None),
        ("password-reset-errors", "/password-reset/", "Send"),
    ],
)
def test_sign_in_pages_have_no_wcag_violations(page, world, name, url, button):
    page.goto(url)
    if button:
        page.get_by_role("button", name=re.compile(button)).click()
        expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page, name)
    assert_reflows(page, name)


def test_a_question_page_with_errors_has_no_wcag_violations(page, site, world):
    sign_in_directly(page, site, person("commissioner@example.org", "commissioner", world["pct"]))
    page.goto(reverse("contract-new"))
    page.get_by_label("Contract reference").fill("")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page, "contract-new-terms-errors")


def test_axe_reports_a_violation_it_is_shown(page, world):
    """The check itself works: a page with an unlabelled field fails, with a readable message."""
    page.goto(reverse("home"))
    page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML("
        "'beforeend', '<input type=\"text\" id=\"unlabelled\">')"
    )
    violations = axe_violations(page)
    assert "label" in {violation["id"] for violation in violations}
    message = describe(violations)
    assert "- label (critical): Form elements must have labels" in message
    assert "at #unlabelled" in message


def test_running_a_survey_has_no_wcag_violations(page, site, world):
    import datetime as dt

    from mutuals.engagement.surveys import create_survey

    survey = create_survey(
        world["health"],
        year=2024,
        title="Staff survey 2024",
        opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2099, 11, 30),
    )
    sign_in_directly(page, site, person("pm@example.org", "provider_manager", world["health"]))
    page.goto(survey.get_absolute_url())
    assert_accessible(page, "survey-running")
    page.get_by_role("link", name="Issue links").click()
    page.get_by_role("button", name="Issue this number of links").click()
    expect(page.get_by_text("Enter the number of links").first).to_be_visible()
    assert_accessible(page, "survey-links-errors")
    assert_reflows(page, "survey-links-errors")
    page.goto(reverse("survey-close", args=[survey.pk]))
    assert_accessible(page, "survey-close")


def test_answering_a_commissioner_has_no_wcag_violations(page, site, world):
    """The pending request's banner, with its two buttons, where the provider's managers meet
    it, and the note telling the commissioner it waits."""
    from accounts.commissioning import by_wizard

    commissioner = person("commissioner@example.org", "commissioner", world["pct"])
    contract = by_wizard(world, commissioner)
    sign_in_directly(page, site, commissioner)
    page.goto(contract.get_absolute_url())
    assert_accessible(page, "contract-waiting-for-provider")
    manager = person("fenmoor@example.org", "provider_manager", world["practice"])
    page.context.clear_cookies()
    sign_in_directly(page, site, manager)
    page.goto(reverse("home"))
    assert_accessible(page, "home-commissioner-waiting")
    page.get_by_role("link", name="Confirm or decline it").click()
    assert_accessible(page, "organisation-commissioner-waiting")
    assert_reflows(page, "organisation-commissioner-waiting")
    page.get_by_role("button", name="Confirm Brackenford Primary Care Trust").click()
    expect(page.get_by_text("can now read")).to_be_visible()
    assert_accessible(page, "organisation-commissioner-confirmed")
