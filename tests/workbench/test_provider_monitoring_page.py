"""The organisation page's Monitoring section: charts, labels and open alerts for those who
may see the organisation's returns, nothing for anyone else, and the page's conventions."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import html5lib
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from mutuals.accounts.models import Role
from mutuals.evaluation.monitoring import run_monitoring
from mutuals.returns.models import Observation, PeriodKind, Submission

# The web pages' small world (two commissioners, three providers, a few returns) and their
# conventions check (valid HTML, one h1, unique ids, no inline style, the demo banner).
from web.conftest import world  # noqa: F401
from web.test_page_conventions import check_conventions

# Visits on time after the two quarters the world holds (90 in 2011-Q2, 93.25 in 2011-Q3):
# steady at 90-91 for three years, then 70 and 69. Limits are about 84.5 to 91.5, so the
# drop is a special cause of concern from 2014-Q4, and the contract's target of 95 lies
# above the upper limit: consistently failing.
VISITS = [90.0, 91.0] * 6 + [70.0, 69.0]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def monitored(world):  # noqa: F811
    submission = Submission.objects.create(source=Submission.Source.DEMO)
    for i, value in enumerate(VISITS):
        year, q = 2011 + (i + 3) // 4, (i + 3) % 4 + 1
        Observation.objects.create(
            organisation=world["health"], metric=world["visits"], period=f"{year}-Q{q}",
            period_start=dt.date(year, 3 * q - 2, 1), period_kind=PeriodKind.QUARTER,
            value=value, submission=submission,
        )  # fmt: skip
    run_monitoring()
    return world


def signed_in(client, people, role, where=None):
    user = get_user_model().objects.create_user(username=f"{role}@example.org")
    Role.objects.create(user=user, role=role, organisation=people[where] if where else None)
    client.force_login(user)
    return client


def page(client, organisation) -> str:
    response = client.get(organisation.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    check_conventions(html)
    return html


def text_of(html: str) -> str:
    document = html5lib.parse(html, namespaceHTMLElements=False)
    return " ".join("".join(document.find(".//main").itertext()).split())


def chart_urls(html: str) -> list[str]:
    return [
        url.replace("&amp;", "&")
        for url in re.findall(r'<img class="govuk-!-width-full" src="([^"]+)"', html)
    ]


def test_the_section_shows_each_metric_and_the_open_alerts(client, monitored):
    html = page(signed_in(client, monitored, "auditor"), monitored["health"])
    text = text_of(html)
    assert 'id="monitoring-heading"' in html
    assert "Visits on time" in text and "Sickness absence" in text
    # The alerts table: metric, period, rule and value.
    assert (
        "Visits on time 2014-Q4 Special cause of concern: a point beyond the process limits 70"
        in text
    )
    assert "Visits on time 2015-Q1 Consistently failing the target" in text
    # Labels with their icons (decorative: the words are beside them).
    assert "Special cause variation: concern" in text
    assert "Consistently failing the target" in text
    assert 'class="mutuals-icon"' in html and 'aria-hidden="true"' in html
    # Two quarters of sickness absence are too few to judge.
    assert "Not judged: fewer than 12 points" in text
    assert len(chart_urls(html)) == 2


def test_each_chart_is_an_accessible_svg_image(client, monitored):
    client = signed_in(client, monitored, "auditor")
    html = page(client, monitored["health"])
    assert re.search(r'alt="Statistical process control chart of Visits on time, 2011-Q2', html)
    for url in chart_urls(html):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(response.content)
        assert root.get("role") == "img"
        assert root.find("{http://www.w3.org/2000/svg}title").text.startswith(
            "Statistical process control chart of"
        )


def test_the_provider_and_its_commissioner_see_the_section(client, monitored):
    assert "monitoring-heading" in page(
        signed_in(client, monitored, "provider_manager", "health"), monitored["health"]
    )
    client.logout()
    assert "monitoring-heading" in page(
        signed_in(client, monitored, "commissioner", "pct"), monitored["health"]
    )


def test_no_one_else_sees_the_section_or_the_charts(client, monitored):
    url = monitored["health"].get_absolute_url() + "?chart=visits-on-time&period_kind=quarter"
    assert "monitoring-heading" not in page(client, monitored["health"])
    assert client.get(url)["Location"].startswith(reverse("sign-in"))  # asked to sign in
    other_commissioner = signed_in(client, monitored, "commissioner", "council")
    assert "monitoring-heading" not in page(other_commissioner, monitored["health"])
    assert other_commissioner.get(url).status_code == 403


def test_an_unknown_chart_is_not_found(client, monitored):
    client = signed_in(client, monitored, "auditor")
    base = monitored["health"].get_absolute_url()
    assert client.get(base + "?chart=no-such-metric").status_code == 404
    assert client.get(base + "?chart=visits-on-time&period_kind=month").status_code == 404


def test_an_organisation_without_returns_has_no_section(client, monitored):
    html = page(signed_in(client, monitored, "auditor"), monitored["practice"])
    assert "monitoring-heading" not in html


def test_a_comparator_has_no_section_even_with_returns(client, monitored):
    comparator = monitored["comparators"][0]
    Observation.objects.filter(organisation=monitored["health"]).update(organisation=comparator)
    client = signed_in(client, monitored, "auditor")
    assert "monitoring-heading" not in page(client, comparator)
    chart = comparator.get_absolute_url() + "?chart=visits-on-time&period_kind=quarter"
    assert client.get(chart).status_code == 403


def test_without_alerts_the_section_says_so(client, monitored):
    from mutuals.evaluation.models import Alert

    Alert.objects.update(is_open=False)
    text = text_of(page(signed_in(client, monitored, "auditor"), monitored["health"]))
    assert "There are no open alerts for this organisation." in text
