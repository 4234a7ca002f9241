"""Journeys through the portfolio in a real browser: with the mouse, and with the keyboard only,
where every element that takes focus must show that it has it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .checks import assert_accessible
from .conftest import PASSWORD, person, screenshot

pytestmark = pytest.mark.browser

# What the focused element looks like: GOV.UK Frontend shows focus with an outline, a box
# shadow or (on links and buttons) the yellow focus colour. A checkbox or radio input is
# invisible; its focus ring is drawn on its label's ::before box (the box or circle).
FOCUS_STYLE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  let styled = element, pseudo = null;
  if (element.matches('.govuk-checkboxes__input, .govuk-radios__input')) {
    styled = element.labels[0];
    pseudo = '::before';
  }
  const style = getComputedStyle(styled, pseudo);
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    text: (element.innerText || element.value || '').trim().slice(0, 80),
    outlineStyle: style.outlineStyle,
    outlineWidth: style.outlineWidth,
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    backgroundColor: style.backgroundColor,
  };
}"""
FOCUS_YELLOW = "rgb(255, 221, 0)"


def focus_is_visible(style: dict) -> bool:
    outline = (
        style["outlineStyle"] != "none"
        and style["outlineWidth"] != "0px"
        and style["outlineColor"] not in {"transparent", "rgba(0, 0, 0, 0)"}
    )
    return outline or style["boxShadow"] != "none" or style["backgroundColor"] == FOCUS_YELLOW


def press_tab_until(page, selector: str, limit: int = 40) -> dict:
    """Press Tab until an element matching the (Playwright) selector has focus, checking at every stop that
    the focused element shows a visible focus indicator. Returns the final focus style."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        assert style is not None, "Tab moved focus off the page's elements"
        assert focus_is_visible(style), f"focus is not visible on {style}"
        if page.locator(selector).evaluate_all("all => all.includes(document.activeElement)"):
            return style
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def test_portfolio_journey(page, world):
    """Home → organisations → filter by programme and kind → an organisation → a contract."""
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Staff-led public service spin-outs")
    expect(
        page.get_by_text("All organisations and figures on this site are synthetic")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("£14,250,000.30")
    screenshot(page, "journey-1-home")

    page.get_by_role("link", name="Find an organisation").click()
    expect(page).to_have_title("Organisations – Mutuals")
    expect(page.locator("#result-count")).to_have_text("7 organisations")

    page.get_by_label("Programme").select_option(label="Right to Request")
    page.get_by_label("Spin-out provider").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"programme=right-to-request.*kind=provider"))
    expect(page.locator("#result-count")).to_have_text("2 organisations")
    results = page.locator("main table tbody")
    expect(results).to_contain_text("Brackenford Community Health CIC")
    expect(results).to_contain_text("Oakhollow Therapies CIC")
    expect(results).not_to_contain_text("Comparator Community Services")
    # The form keeps what was asked for.
    expect(page.get_by_label("Programme")).to_have_value("right-to-request")
    expect(page.get_by_label("Spin-out provider")).to_be_checked()
    screenshot(page, "journey-2-organisations-filtered")

    page.get_by_role("link", name="Brackenford Community Health CIC").click()
    expect(page.locator("h1")).to_have_text("Brackenford Community Health CIC")
    expect(page.locator("main")).to_contain_text("Brackenford Primary Care Trust")
    expect(page.locator("main")).to_contain_text("District nursing")
    screenshot(page, "journey-3-organisation")

    page.get_by_role("link", name="RTR-0001").click()
    expect(page.locator("h1")).to_have_text("Community nursing in Brackenford")
    main = page.locator("main")
    expect(main).to_contain_text("£12,500,000.10")
    expect(main).to_contain_text("Raise visits made on time")
    expect(main).to_contain_text("In-house baseline")
    screenshot(page, "journey-4-contract")


def test_keyboard_only_filter_and_follow_a_result(page, world):
    """No mouse: the skip link, the filter form and a result link, all by Tab, typing,
    Space and Enter, with focus visible at every stop."""
    page.goto("/organisations/")

    skip = press_tab_until(page, ".govuk-skip-link")
    assert skip["text"] == "Skip to main content"

    press_tab_until(page, "input[name=q]")
    page.keyboard.type("brack")
    press_tab_until(page, "select[name=programme]")
    page.keyboard.type("Right")  # a closed select chooses by typing an option's first letters
    expect(page.get_by_label("Programme")).to_have_value("right-to-request")
    press_tab_until(page, "input[name=kind][value=provider]")
    page.keyboard.press("Space")
    expect(page.get_by_label("Spin-out provider")).to_be_checked()
    screenshot(page, "keyboard-1-filter-focused")
    press_tab_until(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"q=brack.*programme=right-to-request.*kind=provider"))
    expect(page.locator("#result-count")).to_have_text("1 organisation")

    link = press_tab_until(page, "main table a")
    assert link["text"] == "Brackenford Community Health CIC"
    assert link["backgroundColor"] == FOCUS_YELLOW, "a focused link turns yellow"
    screenshot(page, "keyboard-2-result-focused")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Brackenford Community Health CIC")


def test_skip_link_moves_focus_to_the_main_content(page, world):
    page.goto("/contracts/")
    press_tab_until(page, ".govuk-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    # The next Tab lands inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_the_focus_check_catches_an_invisible_focus(page, world):
    """The check itself works: with every focus style removed, the first Tab fails it."""
    page.goto("/organisations/")
    page.add_style_tag(
        content="*:focus { outline: none !important; box-shadow: none !important;"
        " background: none !important; }"
    )
    with pytest.raises(AssertionError, match="focus is not visible"):
        press_tab_until(page, "input[name=q]")


def sign_in_by_keyboard(page, email: str) -> None:
    page.goto("/sign-in/")
    press_tab_until(page, "input[name=username]")
    page.keyboard.type(email)
    press_tab_until(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_title("Your account – Mutuals")


def returns_csv(*rows: str) -> dict:
    body = "\n".join(["organisation,metric,period,value", *rows]) + "\n"
    return {"name": "returns.csv", "mimeType": "text/csv", "buffer": body.encode()}


def test_keyboard_only_returns_upload_with_errors_then_fixed(page, world):
    """A provider's manager signs in, uploads a file with mistakes, reads each problem by row
    and column in the focused error summary, fixes the file and sends it again."""
    health = world["health"]
    person("manager@example.org", "provider_manager", health)
    sign_in_by_keyboard(page, "manager@example.org")

    page.goto(health.get_absolute_url())
    press_tab_until(page, f"a[href='/organisations/{health.pk}/returns/upload/']", limit=80)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Upload returns")

    # A file chooser cannot be driven by keys in a headless browser: focus the field by Tab
    # and hand it the file, as the chooser would.
    press_tab_until(page, "input[type=file]")
    page.locator("input[type=file]").set_input_files(
        returns_csv("NQX01,visits-on-time,2011-Q4,twelve", "NQX01,no-such-metric,2011-Q4,3")
    )
    press_tab_until(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to it, so it is read first
    expect(page).to_have_title(re.compile(r"^Error: Upload returns"))
    expect(summary).to_contain_text("row 2, column value: 'twelve' is not a number")
    expect(summary).to_contain_text("row 3, column metric:")
    expect(page.locator("#id_returns_file-error")).to_contain_text("nothing was imported")
    assert_accessible(page, "upload-1-errors")

    # From the summary, a problem's link takes focus to the field to fix.
    press_tab_until(page, ".govuk-error-summary__list a")
    page.keyboard.press("Enter")
    expect(page.locator("input[type=file]")).to_be_focused()

    page.locator("input[type=file]").set_input_files(
        returns_csv("NQX01,visits-on-time,2011-Q4,94", "NQX01,sickness-absence,2011-Q4,3.9")
    )
    press_tab_until(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Returns received")
    main = page.locator("main")
    expect(main).to_contain_text("2 figures imported")
    expect(main).to_contain_text("Visits on time")
    assert_accessible(page, "upload-2-received")


def answer(page, selector: str, text: str) -> None:
    """Tab to a field and type into it (replacing what is there), keys only."""
    press_tab_until(page, selector, limit=60)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def answer_date(page, name: str, day: str, month: str, year: str) -> None:
    """Type a date into the day, month and year boxes of a GOV.UK date input, keys only."""
    for part, text in (("day", day), ("month", month), ("year", year)):
        answer(page, f"input[name={name}-{part}]", text)


def continue_by_keyboard(page, selector: str = "button:has-text('Continue')") -> None:
    press_tab_until(page, selector, limit=60)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_commissioner_records_a_contract(page, world):
    """A commissioner records a contract question by question, checks the answers and saves
    it, keys only; a mistake on the way shows the error summary, focused."""
    person("commissioner@example.org", "commissioner", world["pct"])
    sign_in_by_keyboard(page, "commissioner@example.org")

    page.goto("/contracts/")
    press_tab_until(page, "a:has-text('Record a contract')", limit=60)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("The contract's terms")

    answer(page, "input[name=reference]", "RTR-0099")
    answer(page, "input[name=title]", "Podiatry in Brackenford")
    press_tab_until(page, "select[name=provider]")
    page.keyboard.type("Oakhollow")
    expect(page.get_by_label("Provider")).to_have_value(str(world["exited"].pk))
    answer_date(page, "start_date", "1", "4", "2024")
    answer_date(page, "end_date", "31", "3", "2023")  # before the start: a mistake
    answer(page, "input[name=annual_value]", "450000")
    continue_by_keyboard(page)

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The end date must be the same as or after the start date")
    press_tab_until(page, ".govuk-error-summary__list a")
    page.keyboard.press("Enter")
    expect(page.locator("input[name=end_date-day]")).to_be_focused()
    answer(page, "input[name=end_date-year]", "2027")
    continue_by_keyboard(page)

    expect(page.locator("h1")).to_have_text("Commissioners")
    # The commissioner's only organisation is already chosen.
    expect(page.get_by_label("Brackenford Primary Care Trust")).to_be_checked()
    continue_by_keyboard(page)

    expect(page.locator("h1")).to_have_text("The in-house baseline")
    continue_by_keyboard(page)

    expect(page.locator("h1")).to_have_text("Objectives")
    answer(page, "input[name=description]", "Raise visits made on time")
    press_tab_until(page, "select[name=metric]")
    page.keyboard.type("Visits")
    press_tab_until(page, "input[name=direction]")
    page.keyboard.press("Space")
    answer(page, "input[name=target]", "95")
    answer_date(page, "deadline", "31", "3", "2026")
    continue_by_keyboard(page, "button:has-text('Add the objective')")
    expect(page.locator("main dl")).to_contain_text("Raise visits made on time")
    continue_by_keyboard(page, "a.govuk-button:has-text('Continue')")

    expect(page.locator("h1")).to_have_text("Savings, benefits and plans")
    answer(page, "textarea[name=continuity_plan]", "Services return to the trust.")
    continue_by_keyboard(page)

    expect(page.locator("h1")).to_have_text("Check your answers")
    main = page.locator("main")
    for shown in ("RTR-0099", "Podiatry in Brackenford", "Oakhollow Therapies CIC", "£450,000"):
        expect(main).to_contain_text(shown)
    expect(main).to_contain_text("Raise visits made on time")
    assert_accessible(page, "contract-1-check-answers")
    continue_by_keyboard(page, "button:has-text('Save the contract')")

    expect(page.locator(".govuk-panel__title")).to_contain_text("Contract")
    expect(page.locator(".govuk-panel__body")).to_have_text("RTR-0099")
    assert_accessible(page, "contract-2-saved")


def test_a_manager_creates_a_ballot_with_date_inputs_and_times(page, world):
    """The ballot's dates are day, month and year boxes with a time box beside each moment;
    a missing month is named in the error summary, only the month box is marked, nothing is
    saved, and once it is typed the ballot has the dates and times given."""
    from django.urls import reverse

    from mutuals.governance.models import Ballot

    person("pm@example.org", "provider_manager", world["health"])
    sign_in_by_keyboard(page, "pm@example.org")
    page.goto(reverse("ballot-new", args=[world["health"].pk]))
    page.get_by_label("Question", exact=True).fill("Should we become a staff-owned mutual?")
    page.get_by_label("Options", exact=True).fill("Yes\nNo")
    for name, day, month, year in [
        ("electorate_date", "1", "6", "2030"),
        ("opens_on", "4", "6", "2030"),
        ("closes_on", "18", "", "2030"),  # the month left out: a mistake
    ]:
        page.fill(f"input[name={name}-day]", day)
        page.fill(f"input[name={name}-month]", month)
        page.fill(f"input[name={name}-year]", year)
    page.get_by_label("Time voting opens").fill("9:00")
    page.get_by_label("Time voting closes").fill("5pm")
    assert_accessible(page, "ballot-new-dates")
    page.get_by_role("button", name="Create the ballot").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The date voting closes must include a month")
    expect(page.locator("input[name=closes_on-month]")).to_have_class(
        re.compile("govuk-input--error")
    )
    for part in ("day", "year"):
        expect(page.locator(f"input[name=closes_on-{part}]")).not_to_have_class(
            re.compile("govuk-input--error")
        )
    assert_accessible(page, "ballot-new-dates-error")
    assert not Ballot.objects.exists()

    page.fill("input[name=closes_on-month]", "6")
    page.get_by_role("button", name="Create the ballot").click()
    expect(page.locator("h1")).to_have_text("Should we become a staff-owned mutual?")
    ballot = Ballot.objects.get()
    assert (ballot.opens_at.isoformat(), ballot.closes_at.isoformat()) == (
        "2030-06-04T08:00:00+00:00",  # 9:00 British Summer Time
        "2030-06-18T16:00:00+00:00",
    )
