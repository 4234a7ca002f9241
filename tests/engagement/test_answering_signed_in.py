"""Staff on the register who sign in answer their provider's survey without a link, once; the
answer is stored as anonymously as a link's, and closing the survey rewrites the responses
in a random order, so the order of writing no longer pairs them with the invitations."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from mutuals.accounts.models import Role
from mutuals.engagement import answering
from mutuals.engagement.errors import AlreadyAsked, NotOnRegister
from mutuals.engagement.models import Invitation, Response
from mutuals.engagement.surveys import close_survey, create_survey, issue_links
from mutuals.governance.models.register import Person, RoleGroup
from web.test_page_conventions import check_conventions

ANSWERS = dict.fromkeys(answering.ITEM_COLUMNS, "4")


def staff(world, email: str, *, on_register: bool = True, group=RoleGroup.FRONTLINE):
    user = get_user_model().objects.create_user(username=email, email=email)
    Role.objects.create(user=user, role="provider_staff", organisation=world["health"])
    if on_register:
        Person.objects.create(
            organisation=world["health"],
            reference=email,
            name=email,
            role_group=group,
            employed_from=dt.date(2010, 1, 1),
            user=user,
        )
    return user


def open_survey(world, **fields):
    today = dt.date.today()
    return create_survey(
        world["health"],
        year=today.year,
        title="Staff survey",
        opens_on=today,
        closes_on=today + dt.timedelta(days=30),
        **fields,
    )


@pytest.fixture
def survey(world):
    return open_survey(world)


def url(survey) -> str:
    return reverse("survey-answer-signed-in", args=[survey.pk])


def test_answering_signed_in_records_the_invitation_and_an_anonymous_response(
    client, world, survey
):
    user = staff(world, "a@example.org", group=RoleGroup.MANAGER)
    client.force_login(user)
    done = client.post(url(survey), ANSWERS)
    assert done.status_code == 200
    check_conventions(done.content.decode())
    [response] = Response.objects.filter(survey=survey)
    assert response.group == "Manager" and response.q_standard_of_care == 4
    [invited] = Invitation.objects.filter(survey=survey)
    assert invited.person.user == user
    again = client.post(url(survey), ANSWERS)
    assert again.status_code == 409 and "answers once" in again.content.decode()
    check_conventions(again.content.decode())
    assert client.get(url(survey)).status_code == 409
    assert Response.objects.count() == 1
    # The register's links then skip them: nobody answers twice.
    assert issue_links(survey, register_on=dt.date.today()) == []


def test_the_group_question_is_asked_when_the_survey_has_one(client, world):
    survey = open_survey(world, group_question="Which rota?", group_choices=["Days", "Nights"])
    client.force_login(staff(world, "a@example.org"))
    assert "Which rota?" in client.get(url(survey)).content.decode()
    assert client.post(url(survey), ANSWERS | {"group": "Nights"}).status_code == 200
    assert Response.objects.get().group == "Nights"


def test_someone_sent_a_link_answers_with_it_not_here(client, world, survey):
    user = staff(world, "a@example.org")
    issue_links(survey, register_on=dt.date.today())
    client.force_login(user)
    assert "Answer the survey" not in client.get(reverse("home")).content.decode()
    refused = client.post(url(survey), ANSWERS)
    assert refused.status_code == 409 and "answer with that" in refused.content.decode()
    assert not Response.objects.exists()


def test_staff_not_on_the_register_are_refused_and_not_asked(client, world, survey):
    client.force_login(staff(world, "b@example.org", on_register=False))
    assert "Answer the survey" not in client.get(reverse("home")).content.decode()
    refused = client.get(url(survey))
    assert refused.status_code == 403
    check_conventions(refused.content.decode())
    assert "not on Brackenford Community Health CIC" in refused.content.decode()
    assert client.post(url(survey), ANSWERS).status_code == 403
    assert not Response.objects.exists() and not Invitation.objects.exists()


def test_a_closed_survey_takes_no_signed_in_answers(client, world, survey):
    client.force_login(staff(world, "a@example.org"))
    close_survey(survey)
    assert client.post(url(survey), ANSWERS).status_code == 410
    assert not Response.objects.exists() and not Invitation.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, survey):
    response = client.get(url(survey))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("sign-in")


def test_another_providers_staff_cannot_see_the_survey(client, world, survey):
    user = get_user_model().objects.create_user(username="c@example.org")
    Role.objects.create(user=user, role="provider_staff", organisation=world["practice"])
    client.force_login(user)
    assert client.get(url(survey)).status_code == 404


def test_the_service_refuses_a_second_answer(world, survey):
    user = staff(world, "a@example.org")
    answering.submit_signed_in(survey.pk, user, dict.fromkeys(answering.ITEM_COLUMNS, 3))
    with pytest.raises(AlreadyAsked):
        answering.submit_signed_in(survey.pk, user, dict.fromkeys(answering.ITEM_COLUMNS, 3))
    with pytest.raises(NotOnRegister):
        answering.submit_signed_in(
            survey.pk, staff(world, "b@example.org", on_register=False), {"q_enthusiastic": 2}
        )
    assert Response.objects.count() == 1


def written_order(survey) -> list[tuple[int, int]]:
    """The survey's responses as the database hands them over unsorted (the order they were
    written in), each as its first two answers."""
    table = Response._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT q_look_forward, q_enthusiastic FROM {table} WHERE survey_id = %s",
            [survey.pk],
        )
        return [tuple(row) for row in cursor.fetchall()]


def test_closing_rewrites_the_responses_in_a_random_order(world, survey):
    people = [staff(world, f"p{n}@example.org") for n in range(12)]
    answered = [(n % 5 + 1, n // 5 + 1) for n in range(12)]  # each person's own pair
    for user, (first, second) in zip(people, answered, strict=True):
        answering.submit_signed_in(
            survey.pk, user, {"q_look_forward": first, "q_enthusiastic": second}
        )
    # While open, the rows' order is the order people answered in, which is the order of
    # their invitations: that is what the close undoes.
    assert written_order(survey) == answered
    kept = sorted(Response.objects.filter(survey=survey).values_list("pk", "q_look_forward"))
    close_survey(survey)
    assert (
        sorted(Response.objects.filter(survey=survey).values_list("pk", "q_look_forward")) == kept
    )
    assert sorted(written_order(survey)) == sorted(answered)
    assert written_order(survey) != answered  # 1 chance in 12! of failing by luck
