"""Withdrawing published material: who may, the reason, what readers then see (and no longer
see) on the pages, the report downloads, the list, related links, digests and the API, and
publishing it again."""

from __future__ import annotations

import hashlib
import json
from unittest import mock

import pypdfium2 as pdfium
import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from api.conftest import Api
from mutuals.accounts.models import AuditEvent
from mutuals.accounts.permissions import viewer_for_user
from mutuals.publishing import comments, periods, services, subscriptions, withdrawal
from mutuals.publishing.digest_content import content_for
from mutuals.publishing.errors import (
    CannotWithdraw,
    CommentsClosed,
    NotAllowed,
    WithdrawalRejected,
)
from mutuals.publishing.models import Frequency, Item, ItemKind, ItemStatus, Publication
from web.test_page_conventions import check_conventions

pytestmark = pytest.mark.django_db

REASON = "The comparison group double-counted two providers' visits."
NOTICE = withdrawal.NOTICE_STYLE_TEMPLATE


def _publish(user, kind, **subject):
    viewer = viewer_for_user(user)
    item = services.prepare(viewer, user, kind, **subject)
    services.publish(viewer, user, item)
    item.refresh_from_db()
    return item


def _withdraw(user, item, reason=REASON):
    return withdrawal.withdraw(viewer_for_user(user), user, item, reason)


def _day(item) -> str:
    return dateformat.format(timezone.localtime(item.withdrawn_at), "j F Y")


@pytest.fixture
def evaluation(world, people, finished_run):
    return _publish(people["auditor"], ItemKind.EVALUATION, programme=world["programme"])


@pytest.fixture
def scorecard(world, people, finished_run):
    return _publish(people["commissioner"], ItemKind.SCORECARD, organisation=world["health"])


def test_withdrawing_records_who_when_and_why_and_closes_comments(evaluation, people):
    auditor = people["auditor"]
    before = timezone.now()
    item = _withdraw(auditor, evaluation, f"  {REASON}\r\nSee the corrected run.  ")
    assert item.status == ItemStatus.WITHDRAWN and item.is_withdrawn
    assert not item.is_published and not item.comments_open
    assert item.withdrawn_at >= before and item.withdrawn_by == auditor
    assert item.withdrawal_reason == f"{REASON}\nSee the corrected run."
    event = AuditEvent.objects.get(action="publication.withdraw")
    assert (event.user, event.object_type, event.object_id) == (
        auditor,
        "publication",
        str(item.pk),
    )
    assert event.changes == {"reason": [None, item.withdrawal_reason]}
    assert item.versions.count() == 1  # nothing deleted


def test_a_failure_part_way_changes_nothing(evaluation, people):
    with (
        mock.patch.object(withdrawal, "record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        _withdraw(people["auditor"], evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == ItemStatus.PUBLISHED and evaluation.comments_open
    assert evaluation.withdrawn_at is None and evaluation.withdrawal_reason == ""
    assert not AuditEvent.objects.filter(action="publication.withdraw").exists()


def test_only_those_who_may_publish_it_may_withdraw_it(world, people, evaluation, scorecard):
    for role in ("provider_manager", "provider_staff"):
        with pytest.raises(NotAllowed):
            _withdraw(people[role], evaluation)
    auditor = people["auditor"]
    practice = _publish(auditor, ItemKind.SCORECARD, organisation=world["practice"])
    with pytest.raises(NotAllowed):  # a provider the commissioner does not commission
        _withdraw(people["commissioner"], practice)
    assert _withdraw(people["commissioner"], scorecard).is_withdrawn
    assert Item.objects.filter(status=ItemStatus.WITHDRAWN).count() == 1


def test_a_draft_or_a_withdrawn_item_cannot_be_withdrawn(world, people, evaluation):
    auditor = people["auditor"]
    draft = services.prepare(viewer_for_user(auditor), auditor, ItemKind.PORTFOLIO)
    with pytest.raises(CannotWithdraw, match="this is a draft"):
        _withdraw(auditor, draft)
    _withdraw(auditor, evaluation)
    with pytest.raises(CannotWithdraw, match="already withdrawn on"):
        _withdraw(auditor, evaluation)
    assert AuditEvent.objects.filter(action="publication.withdraw").count() == 1


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter the reason for withdrawing it"),
        ("   \r\n  ", "Enter the reason for withdrawing it"),
        ("Wrong.", "The reason must be at least 10 characters; it has 6"),
        ("x" * 1001, "The reason must be 1,000 characters or fewer; it has 1,001"),
    ],
)
def test_the_reason_is_required_and_length_checked(evaluation, people, reason, message):
    with pytest.raises(WithdrawalRejected, match=message):
        _withdraw(people["auditor"], evaluation, reason)
    assert withdrawal.clean_reason("x" * 10) == "x" * 10
    assert withdrawal.clean_reason("x" * 1000) == "x" * 1000


# The web pages ------------------------------------------------------------------------------


def test_the_item_page_offers_withdrawal_only_to_those_who_may(client, evaluation, sign_in):
    url = reverse("publication-withdraw", args=[evaluation.pk])
    assert url not in client.get(evaluation.get_absolute_url()).content.decode()
    sign_in("provider_manager")
    assert url not in client.get(evaluation.get_absolute_url()).content.decode()
    sign_in("commissioner")
    page = client.get(evaluation.get_absolute_url()).content.decode()
    assert f'href="{url}">Withdraw this publication</a>' in page


def test_the_withdraw_page_needs_permission(client, world, people, evaluation, sign_in):
    url = reverse("publication-withdraw", args=[evaluation.pk])
    anonymous = client.post(url, {"reason": REASON})
    assert anonymous.status_code == 302 and reverse("sign-in") in anonymous["Location"]
    sign_in("provider_manager")  # may read it, may not publish it
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": REASON}).status_code == 403
    # A draft the commissioner may not publish is not theirs to see: not found.
    auditor = people["auditor"]
    draft = services.prepare(
        viewer_for_user(auditor), auditor, ItemKind.SCORECARD, organisation=world["practice"]
    )
    sign_in("commissioner")
    assert client.get(reverse("publication-withdraw", args=[draft.pk])).status_code == 404
    assert client.post(reverse("publication-withdraw", args=[draft.pk])).status_code == 404
    assert client.get(reverse("publication-withdraw", args=[999999])).status_code == 404
    evaluation.refresh_from_db()
    assert evaluation.is_published
    assert not AuditEvent.objects.filter(action="publication.withdraw").exists()


def test_withdrawing_on_the_web(client, evaluation, people, sign_in):
    url = reverse("publication-withdraw", args=[evaluation.pk])
    sign_in("commissioner")
    confirm = client.get(url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    check_conventions(page)
    assert 'class="govuk-button govuk-button--warning"' in page
    assert f'action="{url}"' in page and 'method="post"' in page
    evaluation.refresh_from_db()
    assert evaluation.is_published  # showing the page changes nothing

    response = client.post(url, {"reason": REASON})
    assert response.status_code == 302 and response["Location"] == evaluation.get_absolute_url()
    evaluation.refresh_from_db()
    assert evaluation.is_withdrawn and evaluation.withdrawn_by == people["commissioner"]
    assert evaluation.withdrawal_reason == REASON
    page = client.get(evaluation.get_absolute_url()).content.decode()
    assert "It is withdrawn." in page  # the confirmation message
    again = client.post(url, {"reason": REASON})
    assert again.status_code == 409
    assert f"This was already withdrawn on {_day(evaluation)}." in again.content.decode()
    check_conventions(again.content.decode())
    assert AuditEvent.objects.filter(action="publication.withdraw").count() == 1


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter the reason for withdrawing it"),
        ("Too short", "The reason must be at least 10 characters; it has 9"),
        ("y" * 1001, "The reason must be 1,000 characters or fewer; it has 1,001"),
    ],
)
def test_the_web_form_names_what_is_wrong_with_the_reason(
    client, evaluation, sign_in, reason, message
):
    sign_in("auditor")
    response = client.post(
        reverse("publication-withdraw", args=[evaluation.pk]), {"reason": reason}
    )
    assert response.status_code == 400
    page = response.content.decode()
    check_conventions(page)
    assert page.count(message) == 2  # in the error summary and by the field
    assert '<a href="#id_reason">' in page and "<title>Error: " in page
    evaluation.refresh_from_db()
    assert evaluation.is_published


def test_a_draft_has_nothing_to_withdraw(client, people, sign_in, finished_run):
    auditor = people["auditor"]
    draft = services.prepare(viewer_for_user(auditor), auditor, ItemKind.EVALUATION)
    sign_in("auditor")
    response = client.get(reverse("publication-withdraw", args=[draft.pk]))
    assert response.status_code == 409
    assert "Only published material can be withdrawn" in response.content.decode()
    check_conventions(response.content.decode())
    assert (
        "Withdraw this publication</a>" not in client.get(draft.get_absolute_url()).content.decode()
    )


def test_every_page_of_a_withdrawn_item_says_when_and_why(client, people, evaluation, sign_in):
    auditor = people["auditor"]
    services.publish(viewer_for_user(auditor), auditor, evaluation)  # version 2
    item = _withdraw(auditor, evaluation, "Figures <b>wrong</b> & withdrawn; see the errata.")
    pages = [
        item.get_absolute_url(),
        reverse("publication-version", args=[item.pk, 1]),
        reverse("publication-version", args=[item.pk, 2]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        check_conventions(page)
        assert 'class="govuk-notification-banner"' in page
        assert "govuk-notification-banner--success" not in page
        assert f"This impact evaluation was withdrawn on {_day(item)}" in page
        assert "Figures &lt;b&gt;wrong&lt;/b&gt; &amp; withdrawn; see the errata." in page
        assert "<title>[Withdrawn] " in page
        assert "Comments are closed on this item: it has been withdrawn." in page
    sign_in("auditor")
    page = client.get(item.get_absolute_url()).content.decode()
    check_conventions(page)
    assert "Publish it again" in page and "Reopen comments" not in page
    assert reverse("publication-withdraw", args=[item.pk]) not in page


def test_a_withdrawn_reports_downloads_carry_the_notice(client, people, scorecard):
    version = scorecard.versions.get()
    stored, sha = version.document_html, version.content_sha256
    plain = client.get(reverse("publication-document", args=[scorecard.pk, 1, "html"]))
    assert plain.content.decode() == stored  # not withdrawn: exactly as published
    item = _withdraw(people["commissioner"], scorecard)

    html = client.get(reverse("publication-document", args=[item.pk, 1, "html"])).content.decode()
    assert f"Withdrawn on {_day(item)}" in html and REASON.replace("'", "&#x27;") in html
    assert (
        html.index("<body")
        < html.index('class="withdrawal-notice"')
        < html.index('<header class="cover">')
    )
    added = [render_to_string(t, {"item": item}) for t in (NOTICE, withdrawal.NOTICE_TEMPLATE)]
    assert all(part in html for part in added)
    assert html.replace(added[0], "").replace(added[1], "") == stored  # nothing else changed
    version.refresh_from_db()
    assert (version.document_html, version.content_sha256) == (stored, sha)
    recomputed = json.dumps(version.data, sort_keys=True, default=str) + version.document_html
    assert hashlib.sha256(recomputed.encode()).hexdigest() == sha

    pdf = client.get(reverse("publication-document", args=[item.pk, 1, "pdf"])).content
    document = pdfium.PdfDocument(pdf)
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    first = " ".join(texts[0].split())
    assert f"Withdrawn on {_day(item)}" in first and "comparison group double-counted" in first
    assert all(f"Withdrawn on {_day(item)}" in text for text in texts)  # every page's top


# Where a withdrawn item no longer appears ---------------------------------------------------


def test_the_list_puts_withdrawn_material_apart(client, world, people, evaluation, scorecard):
    _withdraw(people["auditor"], evaluation)
    evaluation.refresh_from_db()
    response = client.get(reverse("publications"))
    page = response.content.decode()
    check_conventions(page)
    main, withdrawn = page.split('<h2 class="govuk-heading-m" id="withdrawn">Withdrawn</h2>')
    assert scorecard.title in main and evaluation.title not in main
    assert evaluation.get_absolute_url() in withdrawn and evaluation.title in withdrawn
    assert f"withdrawn {_day(evaluation)}" in withdrawn and scorecard.title not in withdrawn
    # The filters apply to both parts.
    only_scorecards = client.get(reverse("publications"), {"kind": "scorecard"}).content.decode()
    assert evaluation.title not in only_scorecards and 'id="withdrawn"' not in only_scorecards


def test_related_links_leave_out_withdrawn_material(client, people, evaluation, scorecard):
    assert evaluation in {r.item for r in services.related(scorecard)}
    _withdraw(people["auditor"], evaluation)
    assert evaluation not in {r.item for r in services.related(scorecard)}
    page = client.get(scorecard.get_absolute_url()).content.decode()
    assert evaluation.get_absolute_url() not in page
    # The withdrawn item's own page still points readers to current material.
    assert scorecard in {r.item for r in services.related(evaluation)}


def test_digests_leave_out_withdrawn_material(people, evaluation):
    request = subscriptions.parse("programme", "right-to-request", Frequency.DAILY, signed_in=False)
    reader = subscriptions.confirm(subscriptions.pending_request("r@example.org", request))
    published = evaluation.versions.get().published_at
    period = periods.containing(Frequency.DAILY, timezone.localtime(published).date())
    titles = [e["title"] for e in content_for(reader.subscriber, period).publications.entries]
    assert titles == [evaluation.title]
    _withdraw(people["auditor"], evaluation)
    assert content_for(reader.subscriber, period).publications.entries == []
    assert Publication.objects.filter(item=evaluation).exists()


def test_the_api_lists_current_material_and_reads_a_withdrawn_item(
    client, people, evaluation, scorecard
):
    api = Api(client)
    current = api.get(f"/publications/{evaluation.pk}").json()
    assert current["status"] == "published" and current["withdrawal_reason"] is None
    item = _withdraw(people["auditor"], evaluation)
    listed = api.get("/publications").json()["results"]
    assert [i["id"] for i in listed] == [scorecard.pk]
    detail = api.get(f"/publications/{item.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["withdrawal_reason"]) == ("withdrawn", REASON)
    assert body["withdrawn_at"].startswith(item.withdrawn_at.date().isoformat())
    assert body["title"] == evaluation.title and body["comments_open"] is False
    assert api.get(f"/publications/{item.pk}/comments").status_code == 200
    auditor = people["auditor"]
    draft = services.prepare(viewer_for_user(auditor), auditor, ItemKind.PORTFOLIO)
    assert api.get(f"/publications/{draft.pk}").status_code == 404


def test_a_withdrawn_item_takes_no_comments(client, people, evaluation):
    from mutuals.accounts.models import ApiToken

    auditor = people["auditor"]
    item = _withdraw(auditor, evaluation)
    with pytest.raises(CommentsClosed, match="withdrawn"):
        comments.post(people["provider_staff"], item, "Too late?")
    with pytest.raises(CommentsClosed, match="cannot be reopened"):
        comments.set_open(viewer_for_user(auditor), auditor, item, True)
    _, token = ApiToken.objects.issue(people["provider_staff"], ["comment"])
    refused = Api(client, token).post(f"/publications/{item.pk}/comments", {"body": "via API"})
    assert refused.status_code == 403 and "withdrawn" in refused.json()["detail"]
    client.force_login(auditor)
    reopen = client.post(reverse("publication-comments-open", args=[item.pk]), {"open": "yes"})
    assert reopen.status_code == 409
    check_conventions(reopen.content.decode())
    item.refresh_from_db()
    assert not item.comments_open and not item.comments.exists()


# Publishing again ---------------------------------------------------------------------------


def test_publishing_again_reinstates_it_as_a_new_version(client, people, evaluation, scorecard):
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    _withdraw(auditor, evaluation)
    version = services.publish(viewer, auditor, evaluation)
    evaluation.refresh_from_db()
    assert version.version == 2 and evaluation.latest_version == 2
    assert evaluation.status == ItemStatus.PUBLISHED
    assert (evaluation.withdrawn_at, evaluation.withdrawn_by, evaluation.withdrawal_reason) == (
        None,
        None,
        "",
    )
    assert not evaluation.comments_open  # until a moderator reopens them
    actions = list(
        AuditEvent.objects.filter(object_id=str(evaluation.pk))
        .order_by("pk")
        .values_list("action", "changes")
    )
    assert actions[-2:] == [
        ("publication.withdraw", {"reason": [None, REASON]}),
        ("publication.publish", {"version": 2, "status": ["withdrawn", "published"]}),
    ]
    page = client.get(evaluation.get_absolute_url()).content.decode()
    assert "was withdrawn on" not in page and "<title>[Withdrawn]" not in page
    main = client.get(reverse("publications")).content.decode()
    assert evaluation.title in main and 'id="withdrawn"' not in main
    assert evaluation.pk in [i["id"] for i in Api(client).get("/publications").json()["results"]]
    assert evaluation in {r.item for r in services.related(scorecard)}
    comments.set_open(viewer, auditor, evaluation, True)
    assert comments.post(people["provider_staff"], evaluation, "Thanks for the fix").pk
