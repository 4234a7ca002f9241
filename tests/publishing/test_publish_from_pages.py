"""The scorecard and portfolio pages say whether they are published, and let those who may
publish them prepare a draft from the page itself."""

from __future__ import annotations

from django.urls import reverse

from mutuals.accounts.permissions import viewer_for_user
from mutuals.publishing import services
from mutuals.publishing.models import Item, ItemKind, ItemStatus
from web.test_page_conventions import check_conventions


def panel(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    check_conventions(html)
    start = html.find('id="publishing"')
    return html[start : html.find("</div>", start)] if start >= 0 else ""


def test_a_commissioner_prepares_the_scorecard_from_its_page(sign_in, world, people):
    client = sign_in("commissioner")
    scorecard = reverse("scorecard", args=[world["health"].pk])
    shown = panel(client.get(scorecard))
    assert "This scorecard has not been published" in shown
    assert "Prepare this scorecard for publishing" in shown

    done = client.post(
        reverse("publication-new"), {"kind": "scorecard", "provider": world["health"].pk}
    )
    item = Item.objects.get(key=f"scorecard:{world['health'].pk}")
    assert done.status_code == 302 and done["Location"] == item.get_absolute_url()
    assert item.status == ItemStatus.DRAFT
    assert "A draft of this scorecard is prepared but not published" in panel(client.get(scorecard))

    services.publish(viewer_for_user(people["commissioner"]), people["commissioner"], item)
    shown = panel(client.get(scorecard))
    assert "was last published on" in shown and "(version 1)" in shown
    assert item.get_absolute_url() in shown
    assert "Prepare a new version of this scorecard" in shown


def test_the_provider_sees_its_published_scorecard_but_cannot_publish(sign_in, world, people):
    item = services.prepare(
        viewer_for_user(people["commissioner"]),
        people["commissioner"],
        ItemKind.SCORECARD,
        organisation=world["health"],
    )
    client = sign_in("provider_manager")
    scorecard = reverse("scorecard", args=[world["health"].pk])
    assert panel(client.get(scorecard)) == ""  # a draft is not the provider's business
    services.publish(viewer_for_user(people["commissioner"]), people["commissioner"], item)
    shown = panel(client.get(scorecard))
    assert "was last published on" in shown and "Prepare" not in shown


def test_an_auditor_prepares_the_portfolio_report_from_the_portfolio(sign_in, world):
    client = sign_in("auditor")
    shown = panel(client.get(reverse("portfolio")))
    assert "Prepare the value-for-money report for publishing" in shown
    client.post(reverse("publication-new"), {"kind": "portfolio"})
    assert Item.objects.filter(key="portfolio", status=ItemStatus.DRAFT).exists()


def test_a_commissioner_may_not_publish_the_portfolio(sign_in, world):
    shown = panel(sign_in("commissioner").get(reverse("portfolio")))
    assert "Prepare" not in shown
