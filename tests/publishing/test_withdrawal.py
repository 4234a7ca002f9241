"""Withdrawing published material: who may, the reason, what readers then see (and no longer
see) on the pages, the report downloads, the list, related links, digests and the API, and
publishing it again."""

from __future__ import annotations

import hashlib
import importlib
import json
from unittest import mock

import pypdfium2 as pdfium
import pytest
from django.apps import apps as django_apps
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.conftest import make_user
from api.conftest import Api
from mutuals.accounts.models import AuditEvent, Role
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
ESCAPED_REASON = REASON.replace("'", "&#x27;")  # as the pages show it
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
    assert event.changes == {
        "status": ["published", "withdrawn"],
        "comments_open": [True, False],
        "reason": [None, item.withdrawal_reason],
    }
    version = item.versions.get()  # nothing deleted, and the version is stamped
    assert (version.withdrawn_at, version.withdrawn_by) == (item.withdrawn_at, auditor)
    assert version.withdrawal_reason == item.withdrawal_reason and version.is_withdrawn


def test_the_audit_says_comments_were_already_closed(evaluation, people):
    auditor = people["auditor"]
    comments.set_open(viewer_for_user(auditor), auditor, evaluation, False)
    _withdraw(auditor, evaluation)
    event = AuditEvent.objects.get(action="publication.withdraw")
    assert event.changes["comments_open"] == [False, False]


def test_a_failure_part_way_changes_nothing(evaluation, people):
    with (
        mock.patch.object(withdrawal, "record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        _withdraw(people["auditor"], evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == ItemStatus.PUBLISHED and evaluation.comments_open
    assert evaluation.withdrawn_at is None and evaluation.withdrawal_reason == ""
    assert not evaluation.versions.get().is_withdrawn
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


def test_the_item_page_offers_withdrawal_only_to_those_who_may(
    client, evaluation, scorecard, sign_in
):
    def offered(item) -> bool:
        url = reverse("publication-withdraw", args=[item.pk])
        page = client.get(item.get_absolute_url()).content.decode()
        return f'href="{url}">Withdraw this publication</a>' in page

    assert not offered(evaluation)
    sign_in("provider_manager")
    assert not offered(evaluation) and not offered(scorecard)
    sign_in("commissioner")  # published the scorecard, not the auditor's evaluation
    assert offered(scorecard) and not offered(evaluation)
    sign_in("auditor")
    assert offered(scorecard) and offered(evaluation)


def test_the_withdraw_page_needs_permission(client, world, people, evaluation, sign_in):
    url = reverse("publication-withdraw", args=[evaluation.pk])
    anonymous = client.post(url, {"reason": REASON})
    assert anonymous.status_code == 302 and reverse("sign-in") in anonymous["Location"]
    for role in ("provider_manager", "commissioner"):  # may read it, did not publish it
        sign_in(role)
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


def test_withdrawing_on_the_web(client, scorecard, people, sign_in):
    """The commissioner published the scorecard, so may withdraw it."""
    url = reverse("publication-withdraw", args=[scorecard.pk])
    sign_in("commissioner")
    confirm = client.get(url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    check_conventions(page)
    assert 'class="govuk-button govuk-button--warning"' in page
    assert f'action="{url}"' in page and 'method="post"' in page
    scorecard.refresh_from_db()
    assert scorecard.is_published  # showing the page changes nothing

    response = client.post(url, {"reason": REASON})
    assert response.status_code == 302 and response["Location"] == scorecard.get_absolute_url()
    scorecard.refresh_from_db()
    assert scorecard.is_withdrawn and scorecard.withdrawn_by == people["commissioner"]
    assert scorecard.withdrawal_reason == REASON
    page = client.get(scorecard.get_absolute_url()).content.decode()
    assert "It is withdrawn." in page  # the confirmation message
    again = client.post(url, {"reason": REASON})
    assert again.status_code == 409
    assert f"This was already withdrawn on {_day(scorecard)}." in again.content.decode()
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


def test_a_withdrawn_reports_downloads_carry_the_notice(client, people, scorecard, real_pdfs):
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
    assert "Withdrawn by A registered user." in html  # no chosen name: never the email
    assert people["commissioner"].email not in html
    version.refresh_from_db()
    context = {"version": version}
    added = [render_to_string(t, context) for t in (NOTICE, withdrawal.NOTICE_TEMPLATE)]
    assert all(part in html for part in added)
    assert html.replace(added[0], "").replace(added[1], "") == stored  # nothing else changed
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
        (
            "publication.withdraw",
            {
                "status": ["published", "withdrawn"],
                "comments_open": [True, False],
                "reason": [None, REASON],
            },
        ),
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


# Who may withdraw ---------------------------------------------------------------------------


def test_a_commissioner_may_not_withdraw_what_others_published(
    world, people, evaluation, scorecard
):
    commissioner = people["commissioner"]
    with pytest.raises(NotAllowed, match="whoever published its latest version"):
        _withdraw(commissioner, evaluation)  # an auditor's impact evaluation
    colleague = make_user("c2@example.org", "commissioner", world["pct"])
    assert services.may_publish_item(viewer_for_user(colleague), scorecard)
    with pytest.raises(NotAllowed):  # commissions the provider, did not publish it
        _withdraw(colleague, scorecard)
    # Once the colleague publishes the next version it is theirs to withdraw, not the first's.
    services.publish(viewer_for_user(colleague), colleague, scorecard)
    assert not withdrawal.may_withdraw(viewer_for_user(commissioner), commissioner, scorecard)
    assert _withdraw(colleague, scorecard).withdrawn_by == colleague
    evaluation.refresh_from_db()
    assert evaluation.is_published


def test_auditors_withdraw_anything_and_publishers_only_while_they_may_publish(people, scorecard):
    commissioner = people["commissioner"]
    Role.objects.filter(user=commissioner).delete()  # no longer commissions the provider
    with pytest.raises(NotAllowed):
        _withdraw(commissioner, scorecard)
    auditor = people["auditor"]  # the commissioner published it; auditors withdraw anything
    assert _withdraw(auditor, scorecard).withdrawn_by == auditor


def test_the_notice_names_who_withdrew_it_by_their_chosen_name(client, people, evaluation):
    auditor = people["auditor"]
    auditor.first_name = "Ada Lovelace"
    auditor.save(update_fields=["first_name"])
    item = _withdraw(auditor, evaluation)
    for url in (item.get_absolute_url(), reverse("publication-version", args=[item.pk, 1])):
        page = client.get(url).content.decode()
        banner = page[page.index('id="withdrawn"') : page.index('class="govuk-caption-l"')]
        assert "Withdrawn by Ada Lovelace." in banner
        assert auditor.email not in page


# The versions keep their withdrawal ---------------------------------------------------------


def test_versions_withdrawn_keep_their_notice_after_republishing(
    client, people, scorecard, real_pdfs
):
    commissioner = people["commissioner"]
    first = scorecard.versions.get()
    stored, sha = first.document_html, first.content_sha256
    item = _withdraw(commissioner, scorecard)
    withdrawn_on = _day(item)
    services.publish(viewer_for_user(commissioner), commissioner, item)  # the corrected one
    item.refresh_from_db()
    assert item.is_published and item.withdrawn_at is None
    first.refresh_from_db()
    assert first.is_withdrawn and first.withdrawal_reason == REASON
    assert first.withdrawn_by == commissioner
    assert (first.document_html, first.content_sha256) == (stored, sha)
    second = item.versions.get(version=2)
    assert not second.is_withdrawn

    page = client.get(reverse("publication-version", args=[item.pk, 1])).content.decode()
    check_conventions(page)
    assert "<title>[Withdrawn] " in page
    assert f"Version 1 of this provider scorecard was withdrawn on {withdrawn_on}" in page
    assert ESCAPED_REASON in page
    assert f'href="{item.get_absolute_url()}">Read the current version (2)</a>' in page

    current = client.get(item.get_absolute_url()).content.decode()
    check_conventions(current)
    assert 'id="withdrawn"' not in current and "<title>[Withdrawn]" not in current
    history = current[current.index('id="history-heading"') :]
    assert history.count('<strong class="govuk-tag govuk-tag--red">Withdrawn</strong>') == 1
    assert f"{withdrawn_on} by A registered user: {ESCAPED_REASON}" in history

    html = client.get(reverse("publication-document", args=[item.pk, 1, "html"])).content.decode()
    assert f"Withdrawn on {withdrawn_on}" in html and 'class="withdrawal-notice"' in html
    pdf = client.get(reverse("publication-document", args=[item.pk, 1, "pdf"])).content
    assert (
        f"Withdrawn on {withdrawn_on}" in pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    )
    latest = client.get(reverse("publication-document", args=[item.pk, 2, "html"]))
    assert latest.content.decode() == second.document_html  # the current one: as published


def test_withdrawing_again_stamps_only_the_versions_since(client, people, evaluation):
    auditor = people["auditor"]
    first_at = _withdraw(auditor, evaluation).withdrawn_at
    services.publish(viewer_for_user(auditor), auditor, evaluation)
    again = "The corrected run was wrong as well."
    second = _withdraw(auditor, evaluation, again)
    v1, v2 = evaluation.versions.order_by("version")
    assert (v1.withdrawn_at, v1.withdrawal_reason) == (first_at, REASON)
    assert (v2.withdrawn_at, v2.withdrawal_reason) == (second.withdrawn_at, again)
    old = client.get(reverse("publication-version", args=[second.pk, 1])).content.decode()
    assert "Version 1 of this impact evaluation was withdrawn on" in old
    assert ESCAPED_REASON in old and again not in old.split('id="history')[0]
    latest = client.get(second.get_absolute_url()).content.decode()
    assert "This impact evaluation was withdrawn on" in latest and again in latest


def test_the_migration_stamps_the_versions_of_items_already_withdrawn(
    people, evaluation, scorecard
):
    migration = importlib.import_module("mutuals.publishing.migrations.0004_publication_withdrawal")
    auditor = people["auditor"]
    services.publish(viewer_for_user(auditor), auditor, evaluation)  # version 2
    item = _withdraw(auditor, evaluation)
    # As before migration 0004: only the item said it was withdrawn.
    Publication.objects.update(withdrawn_at=None, withdrawn_by=None, withdrawal_reason=None)
    migration.stamp_withdrawn_versions(django_apps, None)
    stamps = {(v.withdrawn_at, v.withdrawn_by, v.withdrawal_reason) for v in item.versions.all()}
    assert stamps == {(item.withdrawn_at, auditor, REASON)} and item.versions.count() == 2
    assert not scorecard.versions.get().is_withdrawn


def test_digests_leave_out_a_version_withdrawn_in_the_same_period(people, evaluation):
    request = subscriptions.parse("programme", "right-to-request", Frequency.DAILY, signed_in=False)
    reader = subscriptions.confirm(subscriptions.pending_request("r@example.org", request))
    published = evaluation.versions.get().published_at
    period = periods.containing(Frequency.DAILY, timezone.localtime(published).date())
    auditor = people["auditor"]
    _withdraw(auditor, evaluation)
    services.publish(viewer_for_user(auditor), auditor, evaluation)  # corrected, same day
    entries = content_for(reader.subscriber, period).publications.entries
    assert [e["version"] for e in entries] == [2]


# The API lists withdrawn material on asking -------------------------------------------------


def test_the_api_lists_withdrawn_material_on_asking(client, people, evaluation, scorecard):
    api = Api(client)
    _withdraw(people["auditor"], evaluation)

    def listed(**params):
        response = api.get("/publications", **params)
        assert response.status_code == 200, response.content
        return [(i["id"], i["status"]) for i in response.json()["results"]]

    assert listed() == listed(status="published") == [(scorecard.pk, "published")]
    assert listed(status="withdrawn") == [(evaluation.pk, "withdrawn")]
    both = sorted([(evaluation.pk, "withdrawn"), (scorecard.pk, "published")])
    assert listed(status="all") == both
    assert listed(status="all", kind="scorecard") == [(scorecard.pk, "published")]
    bad = api.get("/publications", status="retracted")
    assert bad.status_code == 422
    body = bad.json()
    assert "status" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["status"]
    assert all(word in body["errors"][0]["message"] for word in ("published", "withdrawn", "all"))
    bad_kind = api.get("/publications", kind="scorecards")
    assert bad_kind.status_code == 422
    assert [e["field"] for e in bad_kind.json()["errors"]] == ["kind"]


# Reopening comments cannot undo a withdrawal ------------------------------------------------


def test_a_withdrawal_at_the_same_moment_is_not_undone_by_reopening(people, evaluation):
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    comments.set_open(viewer, auditor, evaluation, False)
    stale = Item.objects.get(pk=evaluation.pk)  # read before the withdrawal lands
    _withdraw(auditor, evaluation)
    assert stale.is_published
    with pytest.raises(CommentsClosed, match="cannot be reopened on withdrawn material"):
        comments.set_open(viewer, auditor, stale, True)
    evaluation.refresh_from_db()
    assert evaluation.is_withdrawn and not evaluation.comments_open
    assert not AuditEvent.objects.filter(action="comments.open").exists()
