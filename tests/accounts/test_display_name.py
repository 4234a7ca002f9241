"""The name a person is shown under: seen and changed on their account page, checked by the
same rules as everywhere it is asked for, and every change kept in the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mutuals.accounts.models import AuditEvent
from mutuals.accounts.names import FALLBACK, set_display_name
from web.test_page_conventions import check_conventions

CHANGE = reverse("account-name")


def _name_of(user) -> str:
    user.refresh_from_db()
    return user.get_full_name()


def test_the_account_page_shows_the_name_and_links_to_change_it(sign_in, people):
    client = sign_in("provider_staff")
    page = client.get(reverse("account")).content.decode()
    assert "Name shown to others" in page
    assert f"None chosen, so you are shown as “{FALLBACK}”" in page
    assert f'href="{CHANGE}"' in page

    set_display_name(people["provider_staff"], "Grace Hopper")
    page = client.get(reverse("account")).content.decode()
    assert "Grace Hopper" in page and FALLBACK not in page


def test_the_change_page_starts_from_the_current_name(sign_in, people):
    client = sign_in("provider_staff")
    page = client.get(CHANGE).content.decode()
    assert 'name="display_name" type="text" value=""' in page and FALLBACK in page
    set_display_name(people["provider_staff"], "Grace Hopper")
    page = client.get(CHANGE).content.decode()
    assert 'value="Grace Hopper"' in page and FALLBACK not in page
    assert "Shown to everyone beside your comments" in page  # the hint
    assert "Do not use your email address" in page


def test_a_person_changes_their_name_and_the_change_is_audited(sign_in, people):
    person = people["provider_staff"]
    set_display_name(person, "Grace Hopper")
    client = sign_in("provider_staff")

    response = client.post(CHANGE, {"display_name": "  Grace   Brewster Hopper "})
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert _name_of(person) == "Grace Brewster Hopper"
    event = AuditEvent.objects.filter(action="display-name.change").latest("pk")
    assert event.user == person and (event.object_type, event.object_id) == ("user", str(person.pk))
    assert event.changes == {"display_name": ["Grace Hopper", "Grace Brewster Hopper"]}

    page = client.get(response["Location"]).content.decode()
    assert "govuk-notification-banner--success" in page
    assert "you are shown as Grace Brewster Hopper" in page
    check_conventions(page)


def test_choosing_a_first_name_records_that_there_was_none(sign_in, people):
    client = sign_in("provider_staff")
    assert client.post(CHANGE, {"display_name": "Grace Hopper"}).status_code == 302
    event = AuditEvent.objects.get(action="display-name.change")
    assert event.changes == {"display_name": [None, "Grace Hopper"]}


def test_saving_the_same_name_again_changes_and_records_nothing(sign_in, people):
    set_display_name(people["provider_staff"], "Grace Hopper")
    client = sign_in("provider_staff")
    assert client.post(CHANGE, {"display_name": "Grace Hopper"}).status_code == 302
    assert AuditEvent.objects.filter(action="display-name.change").count() == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter the name to show beside your comments"),
        ("   ", "Enter the name to show beside your comments"),
        ("G" * 151, "The name must be 150 characters or fewer"),
        ("grace@example.org", "Enter a name, not an email address"),
    ],
)
def test_a_name_that_cannot_be_shown_is_refused_and_nothing_changes(sign_in, people, name, message):
    set_display_name(people["provider_staff"], "Grace Hopper")
    client = sign_in("provider_staff")
    audited = AuditEvent.objects.count()

    response = client.post(CHANGE, {"display_name": name})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count(message) == 2  # in the error summary and beside the field
    assert '<a href="#id_display_name">' in page and 'id="id_display_name-error"' in page
    assert "<title>Error: " in page
    check_conventions(page)
    assert _name_of(people["provider_staff"]) == "Grace Hopper"
    assert AuditEvent.objects.count() == audited


def test_an_empty_post_is_refused_too(sign_in, people):
    response = sign_in("provider_staff").post(CHANGE, {})
    assert response.status_code == 400
    assert "Enter the name to show beside your comments" in response.content.decode()
    assert _name_of(people["provider_staff"]) == ""


def test_signing_in_is_needed(client, people):
    for response in (client.get(CHANGE), client.post(CHANGE, {"display_name": "Intruder"})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('sign-in')}?next={CHANGE}"
    assert not AuditEvent.objects.filter(action="display-name.change").exists()
