"""Publishing: drafts, frozen versions, who may publish, the public list and related links."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mutuals.accounts.permissions import ANONYMOUS, viewer_for_user
from mutuals.evaluation.models import EvaluationResult
from mutuals.publishing import services
from mutuals.publishing.errors import NotAllowed, NothingToPublish
from mutuals.publishing.models import ItemKind, ItemStatus

pytestmark = pytest.mark.django_db


def _publish(user, kind, **subject):
    viewer = viewer_for_user(user)
    item = services.prepare(viewer, user, kind, **subject)
    return item, services.publish(viewer, user, item)


def test_an_evaluation_is_frozen_and_republishing_adds_a_version(world, people, finished_run):
    auditor = people["auditor"]
    item, first = _publish(auditor, ItemKind.EVALUATION, programme=world["programme"])
    assert (first.version, item.status, first.run) == (1, ItemStatus.PUBLISHED, finished_run)
    assert first.data["results"][0]["att"] == 1.5
    # Later data must not change what version 1 says.
    EvaluationResult.objects.filter(run=finished_run).update(att=9.0)
    second = services.publish(viewer_for_user(auditor), auditor, item)
    first.refresh_from_db()
    assert first.data["results"][0]["att"] == 1.5
    assert second.version == 2 and second.data["results"][0]["att"] == 9.0
    assert first.content_sha256 != second.content_sha256
    item.refresh_from_db()
    assert item.latest_version == 2
    assert set(item.programmes.all()) == {world["programme"]}


def test_a_scorecard_freezes_the_rendered_report(client, world, people, finished_run):
    item, version = _publish(
        people["commissioner"], ItemKind.SCORECARD, organisation=world["health"]
    )
    assert world["health"].name in version.document_html
    assert version.data["findings"]
    response = client.get(reverse("publication-document", args=[item.pk, 1, "html"]))
    assert response.status_code == 200
    assert response.content.decode() == version.document_html
    assert "attachment" in response["Content-Disposition"]


def test_who_may_publish(world, people, finished_run):
    commissioner = viewer_for_user(people["commissioner"])
    assert services.may_publish(commissioner, ItemKind.SCORECARD, world["health"].pk)
    assert not services.may_publish(commissioner, ItemKind.SCORECARD, world["practice"].pk)
    assert not services.may_publish(commissioner, ItemKind.PORTFOLIO)
    assert services.may_publish(commissioner, ItemKind.EVALUATION)
    assert services.may_publish(viewer_for_user(people["auditor"]), ItemKind.PORTFOLIO)
    manager = people["provider_manager"]
    with pytest.raises(NotAllowed):
        services.prepare(
            viewer_for_user(manager), manager, ItemKind.SCORECARD, organisation=world["health"]
        )
    assert not services.may_publish(ANONYMOUS, ItemKind.EVALUATION)


def test_an_evaluation_without_a_run_cannot_be_published(world, people):
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    item = services.prepare(viewer, auditor, ItemKind.EVALUATION)
    with pytest.raises(NothingToPublish, match="run `mutuals evaluate` first"):
        services.publish(viewer, auditor, item)
    assert item.versions.count() == 0


def test_drafts_are_hidden_until_published(client, world, people, finished_run, sign_in):
    auditor = people["auditor"]
    item = services.prepare(viewer_for_user(auditor), auditor, ItemKind.EVALUATION)
    assert client.get(item.get_absolute_url()).status_code == 404
    assert item.title not in client.get(reverse("publications")).content.decode()
    sign_in("auditor")
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Draft" in page and "Publish" in page
    response = client.post(reverse("publication-publish", args=[item.pk]))
    assert response.status_code == 302
    client.logout()
    assert client.get(item.get_absolute_url()).status_code == 200
    assert item.title in client.get(reverse("publications")).content.decode()


def test_list_filters_and_related_links(client, world, people, finished_run):
    auditor = people["auditor"]
    evaluation, _ = _publish(auditor, ItemKind.EVALUATION, programme=world["programme"])
    scorecard, _ = _publish(auditor, ItemKind.SCORECARD, organisation=world["health"])
    other, _ = _publish(auditor, ItemKind.SCORECARD, organisation=world["practice"])
    links = {r.item: r.reasons for r in services.related(scorecard)}
    assert "same programme" in links[evaluation] and "same metric" in links[evaluation]
    assert other not in links
    listed = client.get(reverse("publications"), {"kind": "scorecard"}).content.decode()
    assert scorecard.title in listed and evaluation.title not in listed
    by_provider = client.get(reverse("publications"), {"provider": world["practice"].pk})
    assert other.title in by_provider.content.decode()
    assert scorecard.title not in by_provider.content.decode()
    page = client.get(scorecard.get_absolute_url()).content.decode()
    assert evaluation.get_absolute_url() in page


def test_publish_command(world, people, finished_run, capsys):
    from django.core.management import call_command

    call_command("publish", "evaluation", "--as", people["auditor"].username)
    assert "version 1" in capsys.readouterr().out


def test_withdraw_command(world, people, finished_run, capsys):
    from django.core.management import CommandError, call_command

    from mutuals.publishing.models import Item, ItemStatus

    call_command("publish", "evaluation", "--as", people["auditor"].username)
    item = Item.objects.get()
    reason = "The comparison councils were matched on the wrong year."
    with pytest.raises(CommandError, match="Only an auditor"):
        call_command(
            "withdraw", str(item.pk), "--as", people["commissioner"].username, "--reason", reason
        )
    with pytest.raises(CommandError, match="at least 10 characters"):
        call_command("withdraw", str(item.pk), "--as", people["auditor"].username, "--reason", "x")
    with pytest.raises(CommandError, match="There is no published item 999"):
        call_command("withdraw", "999", "--as", people["auditor"].username, "--reason", reason)
    call_command("withdraw", str(item.pk), "--as", people["auditor"].username, "--reason", reason)
    item.refresh_from_db()
    assert item.status == ItemStatus.WITHDRAWN and item.withdrawal_reason == reason
    assert "Withdrew" in capsys.readouterr().out


def test_retitling_a_published_items_draft_changes_nothing_public(
    client, world, people, finished_run
):
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    evaluation, _ = _publish(auditor, ItemKind.EVALUATION, programme=world["programme"])
    scorecard, _ = _publish(auditor, ItemKind.SCORECARD, organisation=world["health"])
    published_title = evaluation.title
    services.prepare(
        viewer,
        auditor,
        ItemKind.EVALUATION,
        programme=world["programme"],
        title="Unreleased draft headline",
        summary="Unreleased draft introduction",
    )
    pages = [
        client.get(reverse("publications")).content.decode(),
        client.get(evaluation.get_absolute_url()).content.decode(),
        client.get(scorecard.get_absolute_url()).content.decode(),  # its related links
        client.get("/api/v1/publications").content.decode(),
    ]
    for page in pages:
        assert "Unreleased draft" not in page
    assert all(published_title in page for page in pages)
    assert f"<title>{published_title}" in pages[1]
    # Publishing the draft is what changes them, as a new version.
    services.publish(viewer, auditor, evaluation)
    assert "Unreleased draft headline" in client.get(reverse("publications")).content.decode()
