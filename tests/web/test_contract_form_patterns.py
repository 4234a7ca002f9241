"""The contract form follows the GOV.UK patterns: dates in day, month and year boxes, £ before
money and % after percentages, a back link on every page after the first, and a later page
opened out of order sends people back to the start, saying why."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from mutuals.contracts.date_input import DateInputField
from mutuals.contracts.models import Contract

from .test_journeys import person
from .test_page_conventions import check_conventions

TERMS = {
    "reference": "RTR-0200",
    "title": "Speech therapy in Brackenford",
    "start_date-day": "1",
    "start_date-month": "4",
    "start_date-year": "2012",
    "end_date-day": "31",
    "end_date-month": "3",
    "end_date-year": "2015",
    "annual_value": "450000",
    "status": "active",
}


@pytest.fixture
def commissioner(client, world):
    client.force_login(person("c@example.org", "commissioner", world["pct"]))
    return client


def _terms(world, **changes):
    return {**TERMS, "provider": world["health"].pk, **changes}


def test_dates_are_asked_for_in_day_month_and_year_boxes(commissioner):
    commissioner.get(reverse("contract-new"))
    page = commissioner.get(reverse("contract-new-step", args=["terms"])).content.decode()
    check_conventions(page)
    for name in ("start_date", "end_date"):
        assert f'<div class="govuk-date-input" id="id_{name}">' in page
        for part in ("day", "month", "year"):
            assert f'name="{name}-{part}"' in page and f'id="id_{name}-{part}"' in page
    assert "For example, 1 4 2011" in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Start date' in page


def test_money_has_a_pound_prefix_and_percentages_a_suffix(commissioner):
    commissioner.get(reverse("contract-new"))
    page = commissioner.get(reverse("contract-new-step", args=["terms"])).content.decode()
    assert re.search(
        r'<div class="govuk-input__prefix" aria-hidden="true">£</div>\s*<input[^>]*name="annual_value"',
        page,
    )
    page = commissioner.get(reverse("contract-new-step", args=["value"])).content.decode()
    assert re.search(
        r'name="savings_requirement_pct"[^>]*>\s*<div class="govuk-input__suffix" aria-hidden="true">%</div>',
        page,
    )


def test_a_contract_recorded_with_date_boxes_keeps_its_dates(commissioner, world):
    commissioner.get(reverse("contract-new"))
    response = commissioner.post(reverse("contract-new-step", args=["terms"]), _terms(world))
    assert response.status_code == 302
    page = commissioner.get(reverse("contract-new-step", args=["terms"])).content.decode()
    assert 'name="start_date-day" type="text" inputmode="numeric" value="1"' in page
    assert 'name="end_date-year" type="text" inputmode="numeric" value="2015"' in page
    commissioner.post(
        reverse("contract-new-step", args=["commissioners"]), {"commissioners": world["pct"].pk}
    )
    commissioner.post(reverse("contract-new-step", args=["baseline"]), {})
    commissioner.post(reverse("contract-new-step", args=["value"]), {})
    check = commissioner.get(reverse("contract-new-check"))
    assert check.status_code == 200, check.get("Location")
    commissioner.post(reverse("contract-new-check"))
    contract = Contract.objects.get(reference="RTR-0200")
    assert (contract.start_date, contract.end_date) == (dt.date(2012, 4, 1), dt.date(2015, 3, 31))


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        (
            {"start_date-day": "", "start_date-month": "", "start_date-year": ""},
            "Enter the start date",
        ),
        ({"start_date-month": ""}, "The start date must include a month"),
        (
            {"start_date-day": "", "start_date-year": ""},
            "The start date must include a day and a year",
        ),
        ({"start_date-day": "31", "start_date-month": "2"}, "The start date must be a real date"),
        ({"start_date-year": "12"}, "Year must include 4 numbers"),
        ({"start_date-day": "first"}, "The start date must be a real date"),
    ],
)
def test_date_errors_say_what_is_wrong_and_link_to_the_day(commissioner, world, boxes, message):
    commissioner.get(reverse("contract-new"))
    response = commissioner.post(
        reverse("contract-new-step", args=["terms"]), _terms(world, **boxes)
    )
    assert response.status_code == 400
    page = response.content.decode()
    check_conventions(page)
    assert message in page
    assert '<a href="#id_start_date-day">' in page


def test_the_field_reads_an_iso_date_as_well_as_the_boxes():
    field = DateInputField(label="Start date")
    assert field.clean("2011-04-01") == dt.date(2011, 4, 1)
    assert field.clean(["1", "4", "2011"]) == dt.date(2011, 4, 1)


@pytest.mark.parametrize("later", ["commissioners", "baseline", "objectives", "value"])
def test_every_page_after_the_first_has_a_back_link(commissioner, later):
    commissioner.get(reverse("contract-new"))
    page = commissioner.get(reverse("contract-new-step", args=[later])).content.decode()
    assert re.search(r'<a href="/contracts/new/\w+/" class="govuk-back-link">Back</a>', page)


def test_check_your_answers_has_a_back_link(commissioner, world):
    contract = world["health_contract"]
    commissioner.get(reverse("contract-edit", args=[contract.pk]))
    page = commissioner.get(reverse("contract-edit-check", args=[contract.pk])).content.decode()
    back = reverse("contract-edit-step", args=[contract.pk, "tasks"])  # where a change starts
    assert f'<a href="{back}" class="govuk-back-link">Back</a>' in page


@pytest.mark.parametrize("later", ["baseline", "check"])
def test_a_later_page_opened_directly_starts_again(commissioner, later):
    url = (
        reverse("contract-new-check")
        if later == "check"
        else reverse("contract-new-step", args=[later])
    )
    response = commissioner.get(url, follow=True)
    assert response.redirect_chain[0] == (reverse("contract-new"), 302)
    assert response.request["PATH_INFO"] == reverse("contract-new-step", args=["terms"])
    page = response.content.decode()
    check_conventions(page)
    assert "You are back at the start of this form" in page
    # Said once: the next page shown is the question alone.
    again = commissioner.get(reverse("contract-new-step", args=["terms"])).content.decode()
    assert "You are back at the start of this form" not in again


def test_an_edit_opened_out_of_order_starts_that_contract_again(commissioner, world):
    contract = world["health_contract"]
    response = commissioner.get(reverse("contract-edit-step", args=[contract.pk, "value"]))
    assert response["Location"] == reverse("contract-edit", args=[contract.pk])


def test_starting_again_still_needs_permission(client, world):
    client.force_login(person("pm@example.org", "provider_manager", world["health"]))
    assert client.get(reverse("contract-new-step", args=["baseline"])).status_code == 403


def test_changing_a_contract_opens_on_its_task_list(commissioner, world):
    contract = world["health_contract"]
    response = commissioner.get(reverse("contract-edit", args=[contract.pk]))
    tasks = reverse("contract-edit-step", args=[contract.pk, "tasks"])
    assert response["Location"] == tasks
    page = commissioner.get(tasks).content.decode()
    check_conventions(page)
    assert '<ul class="govuk-task-list">' in page
    for name in ("terms", "commissioners", "baseline", "objectives", "value"):
        href = reverse("contract-edit-step", args=[contract.pk, name]) + "?from=tasks"
        assert f'href="{href}"' in page
    assert len(re.findall(r'id="task-\w+-status">\s*Completed\s*</div>', page)) == 5
    assert f'href="{reverse("contract-edit-check", args=[contract.pk])}"' in page


def test_a_section_changed_from_the_task_list_returns_to_it(commissioner, world):
    contract = world["health_contract"]
    commissioner.get(reverse("contract-edit", args=[contract.pk]))
    tasks = reverse("contract-edit-step", args=[contract.pk, "tasks"])
    value = reverse("contract-edit-step", args=[contract.pk, "value"]) + "?from=tasks"
    page = commissioner.get(value).content.decode()
    assert f'<a href="{tasks}" class="govuk-back-link">Back</a>' in page
    response = commissioner.post(value, {"savings_requirement_pct": "3"})
    assert response["Location"] == tasks
    check = commissioner.get(reverse("contract-edit-check", args=[contract.pk])).content.decode()
    assert f'<a href="{tasks}" class="govuk-back-link">Back</a>' in check


def test_an_incomplete_section_is_marked_and_saving_waits_for_it(commissioner, world):
    contract = world["health_contract"]
    commissioner.get(reverse("contract-edit", args=[contract.pk]))
    session = commissioner.session
    key = f"mutuals:contract-draft:{contract.pk}"
    draft = session[key]
    draft["terms"]["title"] = ""
    session[key] = draft
    session.save()
    page = commissioner.get(reverse("contract-edit-step", args=[contract.pk, "tasks"]))
    html = page.content.decode()
    assert (
        'id="task-terms-status">\n            <strong class="govuk-tag govuk-tag--blue">Incomplete'
        in html
    )
    assert "Complete every section to check your answers" in html
