"""Pages with long hashes, codes and wide tables fit a 320 CSS pixel screen (WCAG 1.4.10): the
page never scrolls sideways; hashes wrap, and a wide table scrolls inside a labelled region."""

from __future__ import annotations

import pytest

from .checks import assert_accessible
from .conftest import person, screenshot, sign_in_directly

pytestmark = pytest.mark.browser

WIDTH = 320
# The innermost elements reaching past the screen's right edge, to say what to fix.
TOO_WIDE = """width => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width))
  .slice(0, 10)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}): ${e.textContent.trim().slice(0, 60)}`)"""


@pytest.fixture
def open_ballot(world):
    """A ballot of the health provider's staff, frozen (its 64-character electorate hash and
    its log's head are shown) and open."""
    from governance.ballot_world import add_person, draft
    from mutuals.governance import ballots
    from mutuals.governance.models import RoleGroup

    for group in [RoleGroup.FRONTLINE] * 3 + [RoleGroup.MANAGER]:
        add_person(world["health"], role_group=group)
    ballot = ballots.create_ballot(draft(world["health"]))
    ballots.freeze(ballot.pk)
    return ballots.open_ballot(ballot.pk)


@pytest.fixture
def tallied_ballot(world):
    """A ballot voted in, closed and tallied: its result page lists digests and receipts."""
    from governance.ballot_world import add_person, draft
    from mutuals.governance import ballots

    voters = [add_person(world["health"]) for _ in range(3)]
    ballot = ballots.create_ballot(draft(world["health"], question="Should we adopt the plan?"))
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    for voter, label in zip(voters, ["Yes", "Yes", "No"], strict=True):
        ballots.cast_vote(ballot.pk, voter.user, ballot.options.get(label=label).pk)
    ballots.close_ballot(ballot.pk)
    return ballots.tally(ballot.pk)


@pytest.fixture
def publication(world):
    from django.utils import timezone

    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.evaluation.models import EvaluationResult, EvaluationRun, Method, RunStatus
    from mutuals.publishing import services

    run = EvaluationRun.objects.create(
        status=RunStatus.DONE, finished_at=timezone.now(), fingerprint="f" * 64
    )
    EvaluationResult.objects.create(
        run=run,
        programme=world["programme"],
        cohort="2011-Q2",
        metric=world["visits"],
        method=Method.DID,
        treated_units=2,
        comparison_units=1,
        pre_periods=8,
        post_periods=8,
        att=1.0,
        verdict="improved",
        grade=3,
    )
    auditor = person("reflow-publisher@example.org", "auditor")
    viewer = viewer_for_user(auditor)
    item = services.prepare(viewer, auditor, "evaluation", programme=world["programme"])
    services.publish(viewer, auditor, item)
    return item


def _fits(page, path: str, name: str) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 640})
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, f"reflow-{name}-{WIDTH}px")
    assert width <= WIDTH, f"{path} is {width}px wide at {WIDTH}px; too wide:\n" + "\n".join(
        page.evaluate(TOO_WIDE, WIDTH)
    )
    assert_accessible(page, f"reflow-{name}")


def test_a_ballot_and_its_64_character_hashes_fit_320px(page, site, open_ballot):
    sign_in_directly(page, site, person("reflow-auditor@example.org", "auditor"))
    _fits(page, f"/ballots/{open_ballot.pk}/", "ballot")
    assert open_ballot.electorate_hash in page.content()


def test_a_published_item_fits_320px(page, publication):
    _fits(page, publication.get_absolute_url(), "published")


def test_open_data_fits_320px_with_its_table_in_a_labelled_scroll_region(page, world):
    _fits(page, "/open-data/", "open-data")
    region = page.locator("[role=region]:has(table)").first
    assert region.get_attribute("aria-labelledby") or region.get_attribute("aria-label")


def test_a_ballot_result_and_its_receipts_fit_320px(page, site, tallied_ballot):
    sign_in_directly(page, site, person("reflow-reader@example.org", "auditor"))
    _fits(page, f"/ballots/{tallied_ballot.pk}/result/", "ballot-result")
