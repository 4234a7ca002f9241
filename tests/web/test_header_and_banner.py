"""Sign out from every page's header, and a feedback link in the phase banner."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse


def _header(html: str) -> str:
    return html.split("</header>", 1)[0]


def test_signed_in_people_can_sign_out_from_the_header(auditor_client):
    header = _header(auditor_client.get(reverse("organisations")).content.decode())
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', header, re.S)
    assert form and form.group(1) == reverse("sign-out")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert ">Sign out</button>" in form.group(2)


def test_sign_out_from_the_header_works_with_the_csrf_token(world):
    user = get_user_model().objects.create_user(username="someone@example.org")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    header = _header(client.get(reverse("home")).content.decode())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', header).group(1)
    response = client.post(reverse("sign-out"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_visitors_see_sign_in_not_sign_out(client, world):
    header = _header(client.get(reverse("home")).content.decode())
    assert "Sign out" not in header
    assert f'href="{reverse("sign-in")}"' in header


def test_the_phase_banner_links_to_feedback(client, world, settings):
    settings.FEEDBACK_EMAIL = "feedback@example.org"
    html = client.get(reverse("organisations")).content.decode()
    banner = re.search(r'<div class="govuk-phase-banner[^"]*">(.*?)</div>', html, re.S).group(1)
    assert 'href="mailto:feedback@example.org?subject=Feedback%20on%20Mutuals"' in banner
    assert "give your feedback" in banner
