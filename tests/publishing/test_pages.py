"""The publishing pages keep the site's conventions: valid HTML, one title and h1, unique
ids, no inline script or style."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mutuals.accounts.permissions import viewer_for_user
from mutuals.publishing import comments, services
from mutuals.publishing.models import ItemKind
from web.test_page_conventions import check_conventions

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world, people, finished_run):
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    item = services.prepare(viewer, auditor, ItemKind.EVALUATION, programme=world["programme"])
    services.publish(viewer, auditor, item)
    comment = comments.post(people["provider_staff"], item, "<b>bold</b> claim")
    comments.report(people["provider_manager"], comment, "Misleading")
    comments.hide(viewer, auditor, comment, "Misleading figures")
    comments.post(people["provider_staff"], item, "A fair point")
    item.refresh_from_db()
    return item, comment


def test_public_pages(client, published):
    item, _ = published
    for url in (
        reverse("publications"),
        reverse("publications") + "?kind=evaluation&programme=right-to-request",
        item.get_absolute_url(),
        reverse("publication-version", args=[item.pk, 1]),
        reverse("subscribe"),
        reverse("unsubscribe", args=["not-a-token"]),
        reverse("subscription-confirm", args=["not-a-token"]),
    ):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        check_conventions(response.content.decode())
    bad = client.post(reverse("subscribe"), {"follow": "", "frequency": ""})
    assert bad.status_code == 400
    check_conventions(bad.content.decode())


def test_signed_in_pages(client, published, sign_in):
    item, comment = published
    sign_in("auditor")
    for url in (
        item.get_absolute_url(),
        reverse("publication-new"),
        reverse("comment-hide", args=[item.pk, comment.pk]),
        reverse("comment-report", args=[item.pk, comment.pk]),
        reverse("subscribe"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        check_conventions(response.content.decode())
    check_conventions(
        client.post(reverse("publication-new"), {"kind": "scorecard"}).content.decode()
    )
    errors = client.post(reverse("publication-comment", args=[item.pk]), {"body": ""})
    assert errors.status_code == 400
    check_conventions(errors.content.decode())
    client.post(reverse("subscribe"), {"follow": "alert_kind:concern", "frequency": "daily"})
    check_conventions(client.get(reverse("subscribe")).content.decode())


def test_a_published_scorecard_page_and_its_pdf(client, world, people, finished_run):
    commissioner = people["commissioner"]
    viewer = viewer_for_user(commissioner)
    item = services.prepare(
        viewer,
        commissioner,
        ItemKind.SCORECARD,
        organisation=world["health"],
        summary="What the first years show.",
    )
    services.publish(viewer, commissioner, item)
    page = client.get(item.get_absolute_url())
    assert page.status_code == 200
    check_conventions(page.content.decode())
    assert "What the first years show." in page.content.decode()
    pdf = client.get(reverse("publication-document", args=[item.pk, 1, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("publication-document", args=[item.pk, 2, "pdf"])).status_code == 404


def test_the_admin_lists_publishing_records(client, published, people):
    auditor = people["auditor"]
    auditor.is_staff = auditor.is_superuser = True
    auditor.save()
    client.force_login(auditor)
    for name in ("item", "publication", "comment", "subscriber", "digestperiod", "delivery"):
        assert client.get(reverse(f"admin:publishing_{name}_changelist")).status_code == 200


def test_a_signed_in_person_follows_and_stops_at_once(client, world, sign_in):
    from mutuals.publishing.models import Subscription

    sign_in("commissioner")
    response = client.post(
        reverse("subscribe"), {"follow": "alert_kind:failing", "frequency": "daily"}
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.subscriber.email == "c@example.org" and subscription.subscriber.is_confirmed
    page = client.get(reverse("subscribe")).content.decode()
    assert "alerts: consistently failing the target" in page
    client.post(reverse("subscription-stop", args=[subscription.pk]))
    assert not Subscription.objects.exists()
