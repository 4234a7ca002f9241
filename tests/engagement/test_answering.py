"""Single-use anonymous links: issued as digests, answered once, unlinkable afterwards."""

from __future__ import annotations

import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import connection, models
from django.urls import reverse

from conftest import ON_POSTGRES
from mutuals.engagement import answering
from mutuals.engagement.errors import LinkUsed
from mutuals.engagement.models import Invitation, Response, SurveyLink, SurveyStatus
from mutuals.engagement.surveys import create_survey, issue_links
from mutuals.engagement.tokens import digest
from mutuals.governance.models.register import Person, RoleGroup
from web.test_page_conventions import check_conventions

ALL_FOUR = dict.fromkeys(answering.ITEM_COLUMNS, 4)


@pytest.fixture
def survey(world):
    today = dt.date.today()
    return create_survey(
        world["health"],
        year=today.year,
        title="Staff survey",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        group_question="Which rota are you on?",
        group_choices=["Days", "Nights"],
    )


def test_only_digests_are_stored(survey):
    issued = issue_links(survey, count=5)
    stored = set(SurveyLink.objects.values_list("token_digest", flat=True))
    assert stored == {digest(link.token) for link in issued}
    assert not stored & {link.token for link in issued}
    assert survey.min_group_size == 11


def test_links_go_to_staff_employed_on_the_day_once_each(world, survey):
    day = dt.date(2012, 6, 1)
    people = [
        Person(organisation=world["health"], reference=f"P{n}", name=f"Person {n}",
               role_group=group, employed_from=start, employed_until=until)
        for n, (group, start, until) in enumerate([
            (RoleGroup.FRONTLINE, dt.date(2010, 1, 1), None),
            (RoleGroup.MANAGER, dt.date(2011, 1, 1), dt.date(2013, 1, 1)),
            (RoleGroup.FRONTLINE, dt.date(2010, 1, 1), dt.date(2012, 6, 1)),  # left that day
            (RoleGroup.NON_STAFF, None, None),
        ])
    ]  # fmt: skip
    Person.objects.bulk_create(people)
    first = issue_links(survey, register_on=day)
    assert sorted(link.reference for link in first) == ["P0", "P1"]
    assert issue_links(survey, register_on=day) == []  # nobody is sent two
    assert Invitation.objects.filter(survey=survey).count() == 2
    assert SurveyLink.objects.filter(survey=survey).count() == 2


def test_answering_once_then_refused(client, survey):
    [link] = issue_links(survey, count=1)
    url = reverse("survey-answer", args=[link.token])
    page = client.get(url)
    assert page.status_code == 200
    check_conventions(page.content.decode())
    answers = {name: "4" for name in answering.ITEM_COLUMNS} | {"group": "Nights"}
    done = client.post(url, answers)
    assert done.status_code == 200 and "Answers received" in done.content.decode()
    check_conventions(done.content.decode())
    [response] = Response.objects.filter(survey=survey)
    assert response.group == "Nights" and response.q_look_forward == 4
    again = client.post(url, answers)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    check_conventions(again.content.decode())
    assert Response.objects.count() == 1


def test_empty_and_unknown_answers_are_refused(client, survey):
    [link] = issue_links(survey, count=1)
    url = reverse("survey-answer", args=[link.token])
    empty = client.post(url, {})
    assert empty.status_code == 400 and "Answer at least one" in empty.content.decode()
    check_conventions(empty.content.decode())
    bad = client.post(url, {"q_look_forward": "7", "group": "Lunchtimes"})
    assert bad.status_code == 400
    assert not Response.objects.exists() and not SurveyLink.objects.get().used


@pytest.mark.parametrize("case", ["unknown", "closed", "not-yet", "past"])
def test_unusable_links_are_refused_with_a_page(client, survey, case):
    [link] = issue_links(survey, count=1)
    token = link.token
    if case == "unknown":
        token = "x" * 32
    elif case == "closed":
        survey.status = SurveyStatus.CLOSED
    elif case == "not-yet":
        survey.opens_on = dt.date.today() + dt.timedelta(days=2)
        survey.closes_on = survey.opens_on
    else:
        survey.opens_on = survey.closes_on = dt.date.today() - dt.timedelta(days=2)
    survey.save()
    response = client.get(reverse("survey-answer", args=[token]))
    assert response.status_code == (404 if case == "unknown" else 410)
    check_conventions(response.content.decode())
    assert client.post(reverse("survey-answer", args=[token]), ALL_FOUR).status_code in (404, 410)
    assert not Response.objects.exists()


def test_a_submission_racing_a_used_link_stores_nothing(survey):
    """Both submissions read the link before either used it: the conditional update lets
    only the first through."""
    [link] = issue_links(survey, count=1)
    stale = answering.open_link(link.token)
    answering.submit(link.token, ALL_FOUR)
    with mock.patch.object(answering, "open_link", return_value=stale), pytest.raises(LinkUsed):
        answering.submit(link.token, ALL_FOUR)
    assert Response.objects.count() == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite's test database runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submission_counts_once(world):
    today = dt.date.today()
    survey = create_survey(
        world["health"], year=today.year, title="Race", opens_on=today, closes_on=today
    )
    [link] = issue_links(survey, count=1)
    barrier, outcomes = threading.Barrier(4), []

    def attempt():
        barrier.wait()
        try:
            answering.submit(link.token, ALL_FOUR)
            outcomes.append("stored")
        except LinkUsed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "stored"]
    assert Response.objects.filter(survey=survey).count() == 1


def test_no_column_links_a_response_to_a_link_person_or_time():
    for model in (Response, SurveyLink):
        for field in model._meta.get_fields():
            assert not isinstance(
                field, models.DateField | models.DateTimeField | models.TimeField
            ), field
            if field.is_relation and field.concrete:
                assert field.related_model.__name__ == "Survey", field
        assert isinstance(model._meta.pk, models.UUIDField), "a sequence would order answers"
    response_columns = {f.name for f in Response._meta.concrete_fields}
    assert response_columns == {"id", "survey", "group", *answering.ITEM_COLUMNS}
    invitation_columns = {f.name for f in Invitation._meta.concrete_fields}
    assert invitation_columns == {"id", "survey", "person"}
