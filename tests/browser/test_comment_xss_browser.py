"""Comments carrying script render inert in a real browser: shown as text, nothing run.

The page fixture bypasses the Content Security Policy, so this checks the escaping alone."""

from __future__ import annotations

import pytest

from .conftest import person

pytestmark = pytest.mark.browser

PAYLOADS = [
    '<script>window.__xss = "script"</script>',
    '<img src="x" onerror="window.__xss = \'img\'">',
    '"><svg onload="window.__xss = \'svg\'">',
    "<a href=\"javascript:window.__xss='link'\">click me</a>",
]


@pytest.fixture
def item_with_payloads(world):  # noqa: F811
    from django.utils import timezone

    from mutuals.accounts.permissions import viewer_for_user
    from mutuals.evaluation.models import EvaluationResult, EvaluationRun, Method, RunStatus
    from mutuals.publishing import comments, services

    run = EvaluationRun.objects.create(
        status=RunStatus.DONE, finished_at=timezone.now(), fingerprint="a" * 64
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
    auditor = person("xss-auditor@example.org", "auditor")
    viewer = viewer_for_user(auditor)
    item = services.prepare(viewer, auditor, "evaluation", programme=world["programme"])
    services.publish(viewer, auditor, item)
    writer = person("xss-writer@example.org", "provider_staff", world["health"])
    for payload in PAYLOADS:
        comments.post(writer, item, payload)
    return item


def test_comment_payloads_are_shown_as_text_and_never_run(page, site, item_with_payloads):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(item_with_payloads.get_absolute_url())
    bodies = page.locator(".mutuals-comment__body")
    assert bodies.count() == len(PAYLOADS)
    assert bodies.all_inner_texts() == PAYLOADS
    for link in page.get_by_text("click me").all():
        link.click()  # were it a link, this would run the javascript: address
    assert page.evaluate("window.__xss === undefined")
    assert (
        page.locator(
            ".mutuals-comment__body script, .mutuals-comment__body img, "
            ".mutuals-comment__body svg, .mutuals-comment__body a"
        ).count()
        == 0
    )
    assert dialogs == []


def test_publishing_pages_pass_axe(page, site, item_with_payloads):
    from .checks import assert_accessible
    from .conftest import sign_in_directly

    page.goto("/published/")
    assert_accessible(page, "published-list")
    page.goto("/subscribe/")
    assert_accessible(page, "subscribe-public")
    moderator = person("axe-auditor@example.org", "auditor")
    sign_in_directly(page, site, moderator)
    page.goto(item_with_payloads.get_absolute_url())
    assert_accessible(page, "published-item-moderator")
