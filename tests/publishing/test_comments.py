"""Debate: comments are text only, closable, rate-limited and moderated, on the web and the
API alike."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.conftest import make_user
from api.conftest import Api
from mutuals.accounts.models import ApiToken, AuditEvent
from mutuals.accounts.names import FALLBACK
from mutuals.accounts.permissions import viewer_for_user
from mutuals.publishing import comments, services
from mutuals.publishing.models import Comment, CommentStatus, ItemKind

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'


@pytest.fixture
def item(world, people, finished_run):
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    prepared = services.prepare(viewer, auditor, ItemKind.EVALUATION, programme=world["programme"])
    services.publish(viewer, auditor, prepared)
    prepared.refresh_from_db()
    return prepared


def _post(client, item, body, name="Pat Reader"):
    # The name is asked for only until the person has one; otherwise it is ignored.
    return client.post(
        reverse("publication-comment", args=[item.pk]), {"body": body, "display_name": name}
    )


def test_a_comment_with_markup_is_shown_as_text(client, item, sign_in):
    sign_in("provider_staff")
    assert _post(client, item, XSS + "\nsecond line").status_code == 302
    page = client.get(item.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<img src=x onerror="alert(1)">' not in page and "<script>alert" not in page
    assert "second line" in page and "<br>second line" in page
    assert Comment.objects.get().body.startswith("<script>")  # stored as typed


def test_the_public_must_sign_in_to_comment(client, item):
    response = _post(client, item, "hello")
    assert response.status_code == 302 and reverse("sign-in") in response["Location"]
    assert not Comment.objects.exists()
    assert "Sign in</a> to comment" in client.get(item.get_absolute_url()).content.decode()


def test_a_closed_item_refuses_comments_on_the_web_and_the_api(client, item, people, sign_in):
    auditor = people["auditor"]
    comments.set_open(viewer_for_user(auditor), auditor, item, False)
    sign_in("provider_staff")
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Comments are closed on this item." in page
    assert reverse("publication-comment", args=[item.pk]) not in page
    response = _post(client, item, "still want to say this")
    assert response.status_code == 403
    assert "Comments are closed" in response.content.decode()
    _, token = ApiToken.objects.issue(people["provider_staff"], ["comment"])
    api = Api(client, token)
    refused = api.post(f"/publications/{item.pk}/comments", {"body": "via the API"})
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "closed" in refused.json()["detail"]
    assert not Comment.objects.exists()
    assert AuditEvent.objects.filter(action="comments.close").exists()


def test_comments_are_rate_limited_across_web_and_api(client, item, people, settings, sign_in):
    settings.COMMENT_RATE_LIMIT = 2
    sign_in("provider_staff")
    assert _post(client, item, "one").status_code == 302
    _, token = ApiToken.objects.issue(people["provider_staff"], ["comment"])
    api = Api(client, token)
    assert api.post(f"/publications/{item.pk}/comments", {"body": "two"}).status_code == 201
    refused = api.post(f"/publications/{item.pk}/comments", {"body": "three"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    web = _post(client, item, "three")
    assert web.status_code == 429 and "try again in" in web.content.decode()
    assert Comment.objects.count() == 2


def test_the_api_lists_comments_and_needs_the_comment_scope(client, item, people):
    _, read_only = ApiToken.objects.issue(people["provider_staff"], ["read"])
    denied = Api(client, read_only).post(f"/publications/{item.pk}/comments", {"body": "x"})
    assert denied.status_code == 403 and "comment scope" in denied.json()["detail"]
    _, token = ApiToken.objects.issue(people["provider_staff"], ["comment"])
    posted = Api(client, token).post(f"/publications/{item.pk}/comments", {"body": XSS})
    assert posted.status_code == 201 and posted.json()["body"] == XSS
    empty = Api(client, token).post(f"/publications/{item.pk}/comments", {"body": "  "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
    listed = Api(client).get(f"/publications/{item.pk}/comments").json()
    assert [c["body"] for c in listed["results"]] == [XSS]
    items = Api(client).get("/publications").json()["results"]
    assert [i["id"] for i in items] == [item.pk]


def test_report_hide_and_restore(client, item, people, sign_in):
    staff = people["provider_staff"]
    comment = comments.post(staff, item, "a rude remark")
    sign_in("provider_manager")
    report_url = reverse("comment-report", args=[item.pk, comment.pk])
    assert client.post(report_url, {"reason": ""}).status_code == 400
    assert client.post(report_url, {"reason": "It is rude"}).status_code == 302
    hide_url = reverse("comment-hide", args=[item.pk, comment.pk])
    assert client.post(hide_url, {"reason": "x"}).status_code == 403  # not a moderator
    client.logout()
    sign_in("auditor")
    page = client.get(item.get_absolute_url()).content.decode()
    assert "It is rude" in page
    assert client.post(hide_url, {"reason": "Breaks the rules on insults"}).status_code == 302
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN
    assert "Breaks the rules on insults" in client.get(item.get_absolute_url()).content.decode()
    client.logout()
    public_page = client.get(item.get_absolute_url()).content.decode()
    assert "a rude remark" not in public_page
    assert Api(client).get(f"/publications/{item.pk}/comments").json()["results"] == []
    sign_in("auditor")
    restore_url = reverse("comment-restore", args=[item.pk, comment.pk])
    assert client.post(restore_url).status_code == 302
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE and not comment.hidden_reason
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"comment.hide", "comment.restore"} <= actions


def test_commissioners_moderate_their_providers_scorecards_only(world, people, finished_run):
    commissioner = people["commissioner"]
    viewer = viewer_for_user(commissioner)
    own = services.prepare(viewer, commissioner, ItemKind.SCORECARD, organisation=world["health"])
    auditor = people["auditor"]
    other = services.prepare(
        viewer_for_user(auditor), auditor, ItemKind.SCORECARD, organisation=world["practice"]
    )
    assert comments.may_moderate(viewer, commissioner, own)
    assert not comments.may_moderate(viewer, commissioner, other)
    staff = people["provider_staff"]
    assert not comments.may_moderate(viewer_for_user(staff), staff, own)


def test_api_comment_body_must_be_json_text(client, item, people):
    _, token = ApiToken.objects.issue(people["provider_staff"], ["comment"])
    bad = Api(client, token).post(f"/publications/{item.pk}/comments", json.dumps({"body": 5}))
    assert bad.status_code == 422


def test_a_commenter_invited_by_email_is_never_shown_by_address(client, item, world):
    # Invited accounts have the address as username and, until they choose one, no name.
    invited = make_user("invited.person@example.org", "provider_staff", world["health"])
    _, token = ApiToken.objects.issue(invited, ["comment"])
    posted = Api(client, token).post(f"/publications/{item.pk}/comments", {"body": "via API"})
    assert posted.status_code == 201 and posted.json()["author"] == FALLBACK
    listed = Api(client).get(f"/publications/{item.pk}/comments").content.decode()
    page = client.get(item.get_absolute_url()).content.decode()
    for public in (listed, page):
        assert "invited.person" not in public and "example.org" not in public
    assert FALLBACK in page  # and no publisher's address in the version history either

    # On the web the name is asked for before the first comment, and never an address.
    client.force_login(invited)
    form = client.get(item.get_absolute_url()).content.decode()
    assert 'name="display_name"' in form
    refused = _post(client, item, "on the web", name="invited.person@example.org")
    assert refused.status_code == 400 and "not an email address" in refused.content.decode()
    assert _post(client, item, "on the web", name="Sam Invited").status_code == 302
    invited.refresh_from_db()
    assert invited.get_full_name() == "Sam Invited"
    client.logout()
    page = client.get(item.get_absolute_url()).content.decode()
    listed = Api(client).get(f"/publications/{item.pk}/comments").json()["results"]
    assert page.count("Sam Invited") == 2 and "example.org" not in page
    assert [c["author"] for c in listed] == ["Sam Invited", "Sam Invited"]
    client.force_login(invited)
    assert 'name="display_name"' not in client.get(item.get_absolute_url()).content.decode()
