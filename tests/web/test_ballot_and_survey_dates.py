"""The forms that create a staff ballot and a staff survey ask for dates with the GOV.UK date
input (day, month and year boxes in a fieldset), with a time box beside the ballot's dates.
A wrong date re-shows the form with an error summary naming the field, highlights only the
wrong boxes, and saves nothing."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from mutuals.engagement.models import Survey
from mutuals.governance.models import Ballot
from mutuals.web.time_input import parse_time

from .date_boxes import assert_refused, date_boxes, highlighted, moment_boxes, page
from .test_journeys import person

LONDON = zoneinfo.ZoneInfo("Europe/London")
OPENS = dt.datetime(2030, 6, 4, 9, 0, tzinfo=LONDON)  # British Summer Time: 08:00 UTC
CLOSES = dt.datetime(2030, 6, 18, 17, 30, tzinfo=LONDON)
BALLOT = {
    "question": "Should we become a staff-owned mutual?",
    "options": "Yes\nNo",
    "subject": "other",
    "members_only": "no",
    **date_boxes("electorate_date", dt.date(2030, 6, 1)),
    **moment_boxes("opens_on", "opens_time", OPENS),
    **moment_boxes("closes_on", "closes_time", CLOSES),
}
SURVEY = {
    "year": "2030",
    **date_boxes("opens_on", dt.date(2030, 10, 1)),
    **date_boxes("closes_on", dt.date(2030, 11, 30)),
}


@pytest.fixture
def manager(client, world):
    client.force_login(person("pm@example.org", "provider_manager", world["health"]))
    return client


# --- ballots -------------------------------------------------------------------------------


def test_the_ballot_form_asks_dates_in_boxes_with_a_time_beside_them(manager, world):
    html = page(manager.get(reverse("ballot-new", args=[world["health"].pk])), 200)
    for name, legend in [
        ("electorate_date", "Electorate date"),
        ("opens_on", "Date voting opens"),
        ("closes_on", "Date voting closes"),
    ]:
        assert f'<div class="govuk-date-input" id="id_{name}">' in html
        assert f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}' in html
        for part in ("day", "month", "year"):
            assert f'name="{name}-{part}"' in html
    for name, label in [("opens_time", "Time voting opens"), ("closes_time", "Time voting closes")]:
        assert f'<label class="govuk-label govuk-label--s" for="id_{name}">{label}</label>' in html
        assert f'<div id="id_{name}-hint" class="govuk-hint">For example, 17:00</div>' in html
    assert 'name="opens_at"' not in html and 'name="closes_at"' not in html
    # The boxes come filled with tomorrow at 9:00 and a fortnight later at 17:00.
    assert re.search(r'id="id_opens_time" name="opens_time" type="text" value="09:00"', html)
    assert re.search(r'id="id_closes_time" name="closes_time" type="text" value="17:00"', html)


def test_a_ballot_posted_in_boxes_has_the_dates_and_times_given(manager, world):
    response = manager.post(reverse("ballot-new", args=[world["health"].pk]), BALLOT)
    assert response.status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.electorate_date == dt.date(2030, 6, 1)
    assert ballot.opens_at == OPENS and ballot.closes_at == CLOSES
    assert ballot.opens_at.astimezone(dt.UTC).hour == 8  # read as UK time


@pytest.mark.parametrize(
    ("changes", "name", "message", "wrong"),
    [
        ({"closes_on-month": ""}, "closes_on", "The date voting closes must include a month", ["month"]),
        ({"closes_on-day": "31", "closes_on-month": "6"}, "closes_on", "The date voting closes must be a real date", ["day"]),
        ({"closes_on-month": "13"}, "closes_on", "The date voting closes must be a real date", ["month"]),
        ({"closes_on-year": "30"}, "closes_on", "Year must include 4 numbers", ["year"]),
        ({"opens_on-day": "", "opens_on-month": "", "opens_on-year": ""}, "opens_on", "Enter the date voting opens", ["day", "month", "year"]),
        ({"electorate_date-day": "first"}, "electorate_date", "The electorate date must be a real date", ["day"]),
        # A date before the other is wrong as a whole: all three boxes.
        ({"closes_on-day": "3"}, "closes_on", "The closing time must be after the opening time", ["day", "month", "year"]),
    ],
)  # fmt: skip
def test_a_wrong_ballot_date_is_named_and_nothing_is_saved(
    manager, world, changes, name, message, wrong
):
    url = reverse("ballot-new", args=[world["health"].pk])
    html = page(manager.post(url, BALLOT | changes), 400)
    assert_refused(html, name, message)
    assert highlighted(html, name) == wrong
    assert not Ballot.objects.exists()


def test_a_wrong_time_is_named_on_its_box_and_nothing_is_saved(manager, world):
    url = reverse("ballot-new", args=[world["health"].pk])
    html = page(manager.post(url, BALLOT | {"closes_time": "25:00", "opens_time": ""}), 400)
    assert (
        '<a href="#id_closes_time">The time voting closes must be a real time, like 17:00' in html
    )
    assert '<a href="#id_opens_time">Enter the time voting opens</a>' in html
    assert 'id="id_closes_time" name="closes_time" type="text" value="25:00"' in html
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    ("typed", "time"),
    [
        ("17:00", dt.time(17)),
        ("9:30", dt.time(9, 30)),
        ("17.45", dt.time(17, 45)),
        ("5pm", dt.time(17)),
        ("5:30 PM", dt.time(17, 30)),
        ("12am", dt.time(0)),
        ("midday", dt.time(12)),
        ("24:00", None),
        ("17:60", None),
        ("13pm", None),
        ("17", None),
        ("tea time", None),
    ],
)
def test_times_are_read_from_either_clock(typed, time):
    assert parse_time(typed) == time


# --- surveys -------------------------------------------------------------------------------


def test_the_survey_form_asks_dates_in_boxes(manager, world):
    html = page(manager.get(reverse("survey-new", args=[world["health"].pk])), 200)
    for name, legend in [("opens_on", "Opening date"), ("closes_on", "Closing date")]:
        assert f'<div class="govuk-date-input" id="id_{name}">' in html
        assert f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}' in html
        assert f'<div id="id_{name}-hint" class="govuk-hint">' in html
    today = dt.date.today()
    assert f'name="opens_on-year" type="text" inputmode="numeric" value="{today.year}"' in html


def test_a_survey_posted_in_boxes_has_the_dates_given(manager, world):
    response = manager.post(reverse("survey-new", args=[world["health"].pk]), SURVEY)
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert (survey.opens_on, survey.closes_on) == (dt.date(2030, 10, 1), dt.date(2030, 11, 30))


@pytest.mark.parametrize(
    ("changes", "message", "wrong"),
    [
        ({"closes_on-month": ""}, "The closing date must include a month", ["month"]),
        ({"closes_on-day": "", "closes_on-year": ""}, "The closing date must include a day and a year", ["day", "year"]),
        ({"closes_on-day": "31"}, "The closing date must be a real date", ["day"]),
        ({"closes_on-month": "9"}, "The closing date must be on or after the opening date", ["day", "month", "year"]),
    ],
)  # fmt: skip
def test_a_wrong_survey_date_is_named_and_nothing_is_saved(manager, world, changes, message, wrong):
    url = reverse("survey-new", args=[world["health"].pk])
    html = page(manager.post(url, SURVEY | changes), 400)
    assert_refused(html, "closes_on", message)
    assert highlighted(html, "closes_on") == wrong
    assert highlighted(html, "opens_on") == []
    # The boxes keep what was typed.
    assert (
        f'name="closes_on-month" type="text" inputmode="numeric" value="{(SURVEY | changes)["closes_on-month"]}"'
        in html
    )
    assert not Survey.objects.exists()


def test_the_register_date_for_links_is_asked_in_boxes(manager, world):
    survey = Survey.objects.create(
        organisation=world["health"],
        year=2030,
        title="Staff survey 2030",
        opens_on=dt.date.today(),
        closes_on=dt.date.today() + dt.timedelta(days=30),
        min_group_size=5,
    )
    url = reverse("survey-links", args=[survey.pk])
    assert '<div class="govuk-date-input" id="id_register_on">' in page(manager.get(url), 200)
    html = page(
        manager.post(url, {"recipients": "register", **date_boxes("register_on", dt.date(2030, 2, 1)), "register_on-day": "30"}),
        400,
    )  # fmt: skip
    assert_refused(html, "register_on", "The date of the register must be a real date")
    assert highlighted(html, "register_on") == ["day"]
    assert not survey.links.exists()
