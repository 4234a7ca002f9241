"""The site served on a real port (pytest-django's ``live_server``) with the small test world,
and Debian's Chromium driven by Playwright.

Chromium is always /usr/bin/chromium from Debian's package (scripts/ensure-chromium installs
it); Playwright never downloads a browser. When CI is set, a browser that cannot start fails
the tests instead of skipping them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

# The world every web test uses: two commissioners, three providers, two comparators, two
# programmes, three contracts and a few returns. Re-used as a fixture here.
from web.conftest import world  # noqa: F401

# Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from a
# thread with a running loop. The test code's ORM calls are synchronous, so allow them (tests
# only; the live server answers requests in threads of its own). Set at import, before any
# fixture runs, so the world's set-up and tear-down are covered too.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("MUTUALS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


def _no_browser(reason: str) -> None:
    """Fail under CI, where the browser tests must run; skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests cannot be skipped)", pytrace=False)
    pytest.skip(f"{reason}; run scripts/ensure-chromium to install it")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Chromium, one per test module. While Playwright runs, this thread has a running asyncio
    loop; stopping it after each module keeps that loop away from the suite's other tests."""
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is missing")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            # Playwright gives each launched browser a new, empty user-data-dir of its own.
            chromium = p.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, timeout=30_000
            )
        except Error as error:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {error}", pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The demo-data flag is cached; each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(live_server, world):  # noqa: F811
    """The live server's address, once the world is in its database."""
    return live_server.url


@pytest.fixture
def page(browser, site) -> Iterator:
    """A fresh browser context (no cookies) on the live site, one per test."""
    context = browser.new_context(
        base_url=site,
        # axe is injected as a script tag; a Content Security Policy must not block it.
        bypass_csp=True,
        viewport={"width": 1280, "height": 900},
        reduced_motion="reduce",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and response.request.resource_type != "document"
            and problems.append(f"{response.status} for {response.url}")
        ),
    )
    yield page
    context.close()
    assert not problems, "the pages' scripts or assets failed:\n" + "\n".join(problems)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


PASSWORD = "a browser test's password 7"


def person(email: str, role: str, organisation=None):
    """A user holding one role (in an organisation, or an auditor across all of them)."""
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role

    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    Role.objects.create(user=user, role=role, organisation=organisation)
    return user


def sign_in_directly(page, site: str, user) -> None:
    """Give the browser a signed-in session without the sign-in form (for page checks)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": site}]
    )
