"""Every value a request carries is checked before it is used: a value that is not what
the page asks for gets 400 and the GOV.UK error page, never a server error, and a form
shown again with its errors answers 400 too."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from mutuals.accounts.models import Role
from web.test_page_conventions import check_conventions

NOT_NUMBERS = ["abc", "", "1.5", "-1", "²", "9" * 30, "1e3", " 7x"]


def _person(role, organisation=None) -> Client:
    user = get_user_model().objects.create_user(username=f"{role}@example.org")
    Role.objects.create(user=user, role=role, organisation=organisation)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_bad_request(response, what):
    assert response.status_code == 400, (what, response.status_code)
    page = response.content.decode()
    check_conventions(page)
    assert "There is a problem with the request" in page, what


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_removing_an_objective_needs_its_number(world, value):
    client = _person("commissioner", world["pct"])
    contract = world["health_contract"]
    client.get(reverse("contract-edit", args=[contract.pk]))
    url = reverse("contract-edit-step", args=[contract.pk, "objectives"])
    assert_bad_request(client.post(url, {"remove": value}), value)
    assert_bad_request(client.post(url, {"remove": "2"}), "no third objective")
    # Nothing was removed, and the number of one still removes it.
    assert client.post(url, {"remove": "1"}).status_code == 302
    assert client.post(url, {"remove": "1"}).status_code == 400  # already gone
    assert client.post(url, {"remove": "0"}).status_code == 302


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_survey_results_for_one_organisation_need_its_id(world, value):
    if value == "":
        return  # no organisation: every result the viewer may see
    client = Client(raise_request_exception=False)
    url = reverse("survey-results-download", args=["csv"])
    assert_bad_request(client.get(url, {"organisation": value}), value)
    assert client.get(url, {"organisation": world["health"].pk}).status_code == 200


def test_the_bad_request_page_keeps_the_conventions(world):
    from django.core.exceptions import BadRequest
    from django.test import RequestFactory

    from mutuals.web.views import errors

    response = errors.bad_request(RequestFactory().get("/"), BadRequest("no"))
    assert response.status_code == 400
    check_conventions(response.content.decode())


# Forms shown again with their errors ------------------------------------------------------


def test_an_invalid_invitation_answers_400(world):
    client = _person("auditor")
    response = client.post(reverse("invite"), {"email": "not an address", "role": "auditor"})
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()


def test_an_invalid_acceptance_answers_400(world):
    import re

    from django.core import mail

    client = _person("provider_manager", world["health"])
    client.post(
        reverse("invite"),
        {"email": "new@example.org", "role": "provider_staff", "organisation": world["health"].pk},
    )
    link = re.search(r"https?://[^/]+(/invitation/[^/\s]+/)", mail.outbox[-1].body).group(1)
    response = Client().post(link, {"display_name": "", "new_password1": "x"})
    assert response.status_code == 400 and "Enter your name" in response.content.decode()


def test_an_invalid_sign_in_or_reset_answers_400(world):
    client = Client()
    assert client.post(reverse("sign-in"), {}).status_code == 400
    response = client.post(reverse("sign-in"), {"username": "x@example.org", "password": "x"})
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.content.decode()
    assert client.post(reverse("password-reset"), {"email": "nope"}).status_code == 400
