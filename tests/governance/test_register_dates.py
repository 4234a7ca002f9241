# ruff: noqa: F811  (pytest fixtures imported from web.conftest are parameters here)
"""The register's record forms ask for the date a constitution took effect and the date of a
staff vote with the GOV.UK date input. A wrong date re-shows the form with an error summary
naming the field, highlights only the wrong boxes, answers 400 and records nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.conftest import _fast_hashing, make_user  # noqa: F401
from mutuals.governance.models import Constitution, StaffVoteRecord
from web.conftest import _fresh_cache, world  # noqa: F401
from web.date_boxes import assert_refused, date_boxes, highlighted, page

CONSTITUTION = {
    **date_boxes("effective_from", dt.date(2011, 4, 1)),
    "asset_lock": "yes",
    "member_voting": "one_member_one_vote",
    "staff_membership_open": "yes",
    "profit_reinvested_min": "",
}
VOTE = {
    "subject": "spin_out",
    **date_boxes("held_on", dt.date(2011, 1, 20)),
    "question": "Should we spin out?",
    "electorate": "100",
    "votes_for": "60",
    "votes_against": "20",
    "abstentions": "0",
    "source": "Returning officer's report",
}


@pytest.fixture
def manager(client, world):
    client.force_login(make_user("pm@example.org", "provider_manager", world["health"]))
    return client


@pytest.mark.parametrize(
    ("url_name", "name", "legend"),
    [
        ("register-constitution", "effective_from", "Date it took effect"),
        ("register-staff-vote", "held_on", "Date of the vote"),
    ],
)
def test_the_record_forms_ask_dates_in_boxes(manager, world, url_name, name, legend):
    html = page(manager.get(reverse(url_name, args=[world["health"].pk])), 200)
    assert f'<div class="govuk-date-input" id="id_{name}">' in html
    assert f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}' in html
    assert f'<div id="id_{name}-hint" class="govuk-hint">For example, 1 4 2011</div>' in html
    for part in ("day", "month", "year"):
        assert f'name="{name}-{part}"' in html
    assert f'name="{name}"' not in html


def test_a_constitution_posted_in_boxes_is_recorded_from_that_day(manager, world):
    url = reverse("register-constitution", args=[world["health"].pk])
    assert manager.post(url, CONSTITUTION).status_code == 302
    assert Constitution.objects.get().effective_from == dt.date(2011, 4, 1)


def test_a_staff_vote_posted_in_boxes_is_recorded_on_that_day(manager, world):
    url = reverse("register-staff-vote", args=[world["health"].pk])
    assert manager.post(url, VOTE).status_code == 302
    assert StaffVoteRecord.objects.get().held_on == dt.date(2011, 1, 20)


@pytest.mark.parametrize(
    ("changes", "message", "wrong"),
    [
        ({"effective_from-month": ""}, "The date it took effect must include a month", ["month"]),
        ({"effective_from-day": "31", "effective_from-month": "4"}, "The date it took effect must be a real date", ["day"]),
        ({"effective_from-year": "11"}, "Year must include 4 numbers", ["year"]),
        ({"effective_from-day": "", "effective_from-month": "", "effective_from-year": ""}, "Enter the date it took effect", ["day", "month", "year"]),
    ],
)  # fmt: skip
def test_a_wrong_constitution_date_is_named_and_nothing_is_recorded(
    manager, world, changes, message, wrong
):
    url = reverse("register-constitution", args=[world["health"].pk])
    html = page(manager.post(url, CONSTITUTION | changes), 400)
    assert_refused(html, "effective_from", message)
    assert highlighted(html, "effective_from") == wrong
    assert not Constitution.objects.exists()


def test_a_second_constitution_from_the_same_day_marks_the_whole_date(manager, world):
    url = reverse("register-constitution", args=[world["health"].pk])
    assert manager.post(url, CONSTITUTION).status_code == 302
    html = page(manager.post(url, CONSTITUTION | {"asset_lock": "no"}), 400)
    assert_refused(
        html,
        "effective_from",
        "A constitution from 1 April 2011 is already recorded: give the date the new one "
        "took effect",
    )
    assert highlighted(html, "effective_from") == ["day", "month", "year"]
    assert Constitution.objects.count() == 1


def test_a_wrong_vote_date_is_named_and_nothing_is_recorded(manager, world):
    url = reverse("register-staff-vote", args=[world["health"].pk])
    html = page(manager.post(url, VOTE | {"held_on-month": "Jan"}), 400)
    assert_refused(html, "held_on", "The date of the vote must be a real date")
    assert highlighted(html, "held_on") == ["month"]
    assert 'name="held_on-month" type="text" inputmode="numeric" value="Jan"' in html
    assert not StaffVoteRecord.objects.exists()
