"""Every page keeps the conventions: valid HTML5, one title and one h1, unique ids, forms
with an action, no inline script or style (a Content Security Policy will forbid them),
and the banner saying the data are synthetic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import html5lib
import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from mutuals.web.views import errors

BANNER = "All organisations and figures on this site are synthetic demo data"

# Every page, by a name for the test id, with how to reach it in the test world.
PAGES: dict[str, Callable[[dict], str]] = {
    "home": lambda world: reverse("home"),
    "organisations": lambda world: reverse("organisations"),
    "organisations-filtered": lambda world: (
        reverse("organisations")
        + "?q=brack&programme=right-to-request&kind=provider&kind=commissioner"
    ),
    "organisations-empty": lambda world: reverse("organisations") + "?q=nothing-matches",
    "organisation-provider": lambda world: world["health"].get_absolute_url(),
    "organisation-commissioner": lambda world: world["pct"].get_absolute_url(),
    "organisation-comparator": lambda world: world["comparators"][1].get_absolute_url(),
    "contracts": lambda world: reverse("contracts"),
    "contracts-filtered": lambda world: (
        reverse("contracts") + "?status=active&programme=right-to-request"
    ),
    "contract-with-baseline": lambda world: world["health_contract"].get_absolute_url(),
    "contract-without-baseline": lambda world: world["practice_contract"].get_absolute_url(),
    "not-found": lambda world: "/no-such-page/",
}
# Pages for a signed-in person: name -> (role, the page, pages to visit first).
CONTRACT_STEPS = ("terms", "commissioners", "baseline", "objectives", "value")
SIGNED_IN_PAGES: dict[str, tuple[str, Callable[[dict], str], Callable[[dict], list[str]]]] = {
    "sign-in": ("public", lambda world: reverse("sign-in"), lambda world: []),
    "password-reset": ("public", lambda world: reverse("password-reset"), lambda world: []),
    "password-reset-sent": (
        "public",
        lambda world: reverse("password-reset-sent"),
        lambda world: [],
    ),
    "password-reset-complete": (
        "public",
        lambda world: reverse("password-reset-complete"),
        lambda world: [],
    ),
    "invitation-invalid": (
        "public",
        lambda world: reverse("invitation-accept", args=["not-a-token"]),
        lambda world: [],
    ),
    "account": ("auditor", lambda world: reverse("account"), lambda world: []),
    "account-name": ("auditor", lambda world: reverse("account-name"), lambda world: []),
    "invite": ("auditor", lambda world: reverse("invite"), lambda world: []),
    "invitation-sent": ("auditor", lambda world: reverse("invitation-sent"), lambda world: []),
    "organisation-with-returns": (
        "provider_manager",
        lambda world: world["health"].get_absolute_url(),
        lambda world: [],
    ),
    "returns-upload": (
        "provider_manager",
        lambda world: reverse("returns-upload", args=[world["health"].pk]),
        lambda world: [],
    ),
    "contract-with-audit": (
        "commissioner",
        lambda world: world["health_contract"].get_absolute_url(),
        lambda world: [],
    ),
    **{
        f"contract-edit-{step}": (
            "commissioner",
            lambda world, step=step: reverse(
                "contract-edit-step", args=[world["health_contract"].pk, step]
            ),
            lambda world: [reverse("contract-edit", args=[world["health_contract"].pk])],
        )
        for step in CONTRACT_STEPS
    },
    "contract-edit-check": (
        "commissioner",
        lambda world: reverse("contract-edit-check", args=[world["health_contract"].pk]),
        lambda world: [reverse("contract-edit", args=[world["health_contract"].pk])],
    ),
    "contract-new-terms": (
        "commissioner",
        lambda world: reverse("contract-new-step", args=["terms"]),
        lambda world: [reverse("contract-new")],
    ),
    "contract-saved": (
        "commissioner",
        lambda world: reverse("contract-saved", args=[world["health_contract"].pk]),
        lambda world: [],
    ),
}
ERROR_PAGES = {
    "403": lambda: errors.forbidden(RequestFactory().get("/"), PermissionError()),
    "500": lambda: errors.server_error(RequestFactory().get("/")),
}


def parse_strictly(html: str):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(html)


def check_conventions(html: str) -> None:
    document = parse_strictly(html)  # raises on any parse error

    titles = document.findall(".//title")
    assert len(titles) == 1
    assert (titles[0].text or "").strip().endswith("– Mutuals")
    assert (titles[0].text or "").strip() != "– Mutuals"

    assert len(document.findall(".//h1")) == 1

    ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
    assert [id_ for id_, count in ids.items() if count > 1] == []

    for form in document.findall(".//form"):
        assert form.get("action"), "every form names its action"
        assert form.get("method", "get").lower() in {"get", "post"}

    for script in document.findall(".//script"):
        assert script.get("src"), "no inline scripts"
        assert not (script.text or "").strip()
    assert document.findall(".//style") == []
    assert [element.tag for element in document.iter() if element.get("style") is not None] == []

    assert BANNER in html
    assert "crown" not in html.lower(), "not a GOV.UK service: no crown, no Crown copyright"

    for element in document.findall(".//script") + document.findall(".//link"):
        url = element.get("src") or element.get("href")
        assert url.startswith("/static/"), f"{url} should be served from our own static files"


@pytest.mark.parametrize("name", PAGES)
def test_page_keeps_the_conventions(client, world, name):
    response = client.get(PAGES[name](world))
    assert response.status_code == (404 if name == "not-found" else 200)
    check_conventions(response.content.decode())


def _sign_in_as(client, world, role):
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role

    if role == "public":
        return client
    organisation = {"commissioner": world["pct"], "provider_manager": world["health"]}.get(role)
    user = get_user_model().objects.create_user(username=f"{role}@example.org")
    Role.objects.create(user=user, role=role, organisation=organisation)
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_page_keeps_the_conventions(client, world, name):
    role, url, before = SIGNED_IN_PAGES[name]
    _sign_in_as(client, world, role)
    for earlier in before(world):
        client.get(earlier)
    response = client.get(url(world))
    assert response.status_code == (400 if name == "invitation-invalid" else 200)
    check_conventions(response.content.decode())


def test_pages_with_errors_keep_the_conventions(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _sign_in_as(client, world, "provider_manager")
    upload = reverse("returns-upload", args=[world["health"].pk])
    bad = b"organisation,metric,period,value\nNQX01,visits-on-time,2011-Q3,x\n"
    good = b"organisation,metric,period,value\nNQX01,visits-on-time,2011-Q3,95\n"
    for data in (
        {},
        {"returns_file": SimpleUploadedFile("r.csv", bad)},
        {"returns_file": SimpleUploadedFile("r.csv", good)},
    ):
        check_conventions(client.post(upload, data).content.decode())
    check_conventions(Client().post(reverse("sign-in"), {}).content.decode())
    check_conventions(Client().post(reverse("password-reset"), {}).content.decode())
    client.get(reverse("contract-new"))
    check_conventions(
        client.post(reverse("contract-new-step", args=["terms"]), {}).content.decode()
    )


def test_locked_page_keeps_the_conventions(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("sign-in"), {"username": "x@example.org", "password": "x"})
    assert response.status_code == 429
    check_conventions(response.content.decode())


@pytest.mark.parametrize("name", ERROR_PAGES)
def test_error_page_keeps_the_conventions(world, name):
    check_conventions(ERROR_PAGES[name]().content.decode())


def test_titles_are_unique(client, world):
    titles = []
    for name, url in PAGES.items():
        if name.endswith(("-filtered", "-empty")):
            continue  # the same page with other parameters
        document = parse_strictly(client.get(url(world)).content.decode())
        titles.append(document.find(".//title").text.strip())
    assert len(titles) == len(set(titles))


def test_server_error_page_keeps_the_conventions_through_the_handler(world):
    from unittest import mock

    client = Client(raise_request_exception=False)
    with mock.patch("mutuals.registry.queries.portfolio_figures", side_effect=RuntimeError):
        check_conventions(client.get(reverse("home")).content.decode())
