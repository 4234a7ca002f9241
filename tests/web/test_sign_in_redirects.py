"""Pages that need an account send anonymous visitors to sign in (and back, by ``?next=``)
instead of answering 403; signed-in people without permission still get 403.

Every URL pattern of the site is opened as an anonymous visitor, so a page added later
cannot quietly answer 403 to someone who only needs to sign in.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mutuals.accounts.models import Role

# Paths that are not pages people browse: the admin and the API answer for themselves.
NOT_PAGES = ("admin/", "api/")


def _patterns(resolvers=None, prefix=""):
    """Every (route, name) of the site, includes followed."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(NOT_PAGES):
            continue
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


def _filled(route: str, ids: dict[str, int]) -> str:
    """The route with a plausible value for each part: the id of a real record where the
    path names one (organisations/<pk>/ is a provider), 1 otherwise."""
    first = route.split("/", 1)[0]

    def value(match: re.Match) -> str:
        converter = match.group(1) or "str"
        if converter == "int":
            return str(ids.get(first, 1))
        if converter == "uuid":
            return str(uuid.uuid4())
        if match.group(2) == "format_":
            return "csv"
        return "details"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.fixture
def staff_member(world):
    user = get_user_model().objects.create_user(username="staff@example.org")
    Role.objects.create(user=user, role="provider_staff", organisation=world["health"])
    return user


def test_every_page_sends_anonymous_visitors_to_sign_in_not_403(client, world):
    ids = {
        "organisations": world["health"].pk,
        "contracts": world["health_contract"].pk,
        "commissioning": world["health"].pk,
    }
    answered_403 = []
    redirected = 0
    for route, name in _patterns():
        path = _filled(route, ids)
        response = client.get(path)
        if response.status_code == 403:
            answered_403.append(f"{path} ({name})")
        if response.status_code == 302 and response["Location"].startswith(reverse("sign-in")):
            redirected += 1
    assert not answered_403, "anonymous visitors get 403 at:\n" + "\n".join(answered_403)
    assert redirected >= 10


@pytest.mark.parametrize("path", ["/portfolio/", "/evaluation/", "/engagement/", "/account/"])
def test_anonymous_visitors_sign_in_then_come_back(client, world, path):
    response = client.get(path + "?as_of=2012-Q4" if path == "/portfolio/" else path)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("sign-in")
    expected = path + "?as_of=2012-Q4" if path == "/portfolio/" else path
    assert parse_qs(location.query)["next"] == [expected]


def test_signed_in_people_without_permission_still_get_403(client, staff_member):
    client.force_login(staff_member)
    response = client.get("/portfolio/")
    assert response.status_code == 403
    assert "You cannot see this page" in response.content.decode()


def test_a_form_sent_without_a_session_gets_403_with_a_way_to_sign_in(client, world):
    response = client.post(reverse("evaluations"), {})
    assert response.status_code == 403
    assert f'href="{reverse("sign-in")}?next=/evaluation/"' in response.content.decode()


def test_a_script_polling_for_json_gets_403_not_a_sign_in_page(client, world):
    from mutuals.evaluation.models import EvaluationRun

    run = EvaluationRun.objects.create()
    url = reverse("evaluation-run-progress", args=[run.pk])
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 403
    assert client.get(url, headers={"Accept": "text/html"}).status_code == 302
