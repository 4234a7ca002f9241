"""Each role's home page starts with what needs them, each item one click from what it asks,
fetched through the permission scopes and in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.models import Role
from mutuals.contracts.models import Contract, ContractStatus
from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey
from mutuals.evaluation.models import Alert, AlertKind, EvaluationRun, RunStatus
from mutuals.governance import ballots
from mutuals.governance.models import Person, RoleGroup
from mutuals.publishing.models import Item, ItemStatus
from mutuals.returns.models import Metric
from mutuals.web.returns_calendar import returns_calendar

from .test_page_conventions import check_conventions

NEEDS = re.compile(r'<section class="mutuals-needs.*?</section>', re.S)


def person(email: str, role: str, organisation=None):
    user = get_user_model().objects.create_user(username=email, email=email)
    Role.objects.create(user=user, role=role, organisation=organisation)
    return user


def needs_of(response) -> str:
    found = NEEDS.search(response.content.decode())
    return found.group(0) if found else ""


@pytest.fixture
def as_of_2011_q3(world, monkeypatch):
    """The portfolio's as-of, as the returns in the world give it."""
    monkeypatch.setattr("mutuals.web.returns_calendar.returns_as_of", lambda: dt.date(2011, 9, 30))


@pytest.fixture
def open_ballot(world):
    health = world["health"]
    user = person("staff@example.org", "provider_staff", health)
    for n in range(3):
        Person.objects.create(
            organisation=health,
            reference=f"S{n}",
            name=f"Staff member {n}",
            role_group=RoleGroup.FRONTLINE,
            employed_from=dt.date(2020, 1, 1),
            user=user if n == 0 else None,
        )
    now = timezone.now()
    draft = ballots.BallotDraft(
        organisation=health,
        question="Should we renew the contract with the trust?",
        options=["Yes", "No"],
        electorate_date=dt.date(2024, 3, 1),
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
        subject="other",
    )
    ballot = ballots.create_ballot(draft)
    ballots.freeze(ballot.pk)
    return ballots.open_ballot(ballot.pk), user


def test_the_public_home_has_no_needs_section(client, world):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert needs_of(response) == ""


def test_staff_see_the_ballot_open_to_them_and_the_survey_to_answer(
    client, world, open_ballot, django_assert_max_num_queries
):
    ballot, user = open_ballot
    today = timezone.localdate()
    survey = Survey.objects.create(
        organisation=world["health"],
        year=today.year,
        title="Staff survey this year",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=20),
        min_group_size=5,
    )
    client.force_login(user)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("home"))
    check_conventions(response.content.decode())
    section = needs_of(response)
    assert "What needs you" in section
    assert f'href="{reverse("ballot-vote", args=[ballot.pk])}"' in section
    assert "Vote: Should we renew the contract with the trust?" in section
    assert f'href="{reverse("survey-answer-signed-in", args=[survey.pk])}"' in section
    # A ballot they have voted in is no longer asked of them.
    ballot.electors.update(has_voted=True)
    assert "Vote:" not in needs_of(client.get(reverse("home")))


def test_the_survey_on_a_staff_home_is_answered_in_one_click(client, world, open_ballot):
    """The home's link is the answering page itself (not the survey's progress page): the
    questions are there, answering works, and the survey then leaves the home."""
    _, user = open_ballot
    today = timezone.localdate()
    survey = Survey.objects.create(
        organisation=world["health"],
        year=today.year,
        title="Staff survey this year",
        opens_on=today,
        closes_on=today + dt.timedelta(days=20),
        min_group_size=5,
    )
    client.force_login(user)
    hrefs = re.findall(r'href="([^"]+)"', needs_of(client.get(reverse("home"))))
    answer = reverse("survey-answer-signed-in", args=[survey.pk])
    assert answer in hrefs and survey.get_absolute_url() not in hrefs
    form = client.get(answer)
    assert form.status_code == 200
    check_conventions(form.content.decode())
    assert "I look forward to going to work" in form.content.decode()
    assert f'action="{answer}"' in form.content.decode()
    done = client.post(answer, dict.fromkeys(ITEM_COLUMNS, "4"))
    assert done.status_code == 200 and "Answers received" in done.content.decode()
    [response] = Response.objects.filter(survey=survey)
    assert response.q_look_forward == 4 and response.group == "Frontline staff"
    assert "Answer the survey" not in needs_of(client.get(reverse("home")))


def test_a_manager_sees_the_returns_calendar_and_ballots_to_run(
    client, world, open_ballot, as_of_2011_q3, django_assert_max_num_queries
):
    client.force_login(person("pm@example.org", "provider_manager", world["health"]))
    with django_assert_max_num_queries(25):
        response = client.get(reverse("home"))
    check_conventions(response.content.decode())
    section = needs_of(response)
    assert "Returns from Brackenford Community Health CIC" in section
    assert reverse("returns-upload", args=[world["health"].pk]) in section
    assert "2011-Q3" in section and "Missing" in section and "Returned" in section
    ballot, _ = open_ballot
    assert f'href="{reverse("ballot-manage", args=[ballot.pk])}"' in section


def test_the_returns_calendar_says_which_metrics_came_in_each_quarter(world):
    calendar = returns_calendar(world["health"], dt.date(2011, 9, 30))
    assert calendar.quarters == ("2010-Q2", "2010-Q3", "2010-Q4", "2011-Q1", "2011-Q2", "2011-Q3")
    rows = {row.metric.code: row.returned for row in calendar.rows}
    assert rows == {
        "sickness-absence": (False, False, False, False, True, True),
        "visits-on-time": (False, False, False, False, True, True),
    }
    assert calendar.missing == 8 and calendar.missing_in("2011-Q3") == 0


def test_a_commissioner_sees_contracts_failing_tests_and_new_alerts(
    client, world, as_of_2011_q3, django_assert_max_num_queries
):
    Alert.objects.create(
        organisation=world["health"],
        metric=Metric.objects.get(code="visits-on-time"),
        kind=AlertKind.SPECIAL_CAUSE_CONCERN,
        period="2011-Q3",
        rule="shift",
    )
    failing = Contract.objects.create(
        reference="RTR-0003",
        title="Podiatry in Brackenford",
        provider=world["health"],
        start_date=dt.date(2012, 4, 1),
        end_date=dt.date(2015, 3, 31),
        annual_value=Decimal("300000.00"),
        status=ContractStatus.ACTIVE,
    )
    failing.commissioners.add(world["pct"])
    client.force_login(person("c@example.org", "commissioner", world["pct"]))
    with django_assert_max_num_queries(30):
        response = client.get(reverse("home"))
    check_conventions(response.content.decode())
    section = needs_of(response)
    # RTR-0001 passes all six tests; the ended RTR-0002 is no longer live.
    assert f'href="{failing.get_absolute_url()}"' in section
    assert "Fails: measurable objectives, savings required, baseline" in section
    assert "RTR-0001" not in section and "RTR-0002" not in section
    assert "Brackenford Community Health CIC: Visits on time" in section
    assert (
        f'href="{reverse("organisation", args=[world["health"].pk])}#open-alerts-heading"'
        in section
    )
    # Another commissioner's provider is never named.
    assert "Fenmoor" not in section


def test_a_commissioner_is_not_told_of_a_provider_that_has_not_confirmed_them(
    client, world, as_of_2011_q3
):
    from mutuals.contracts.models import CommissioningRelationship

    CommissioningRelationship.objects.filter(provider=world["health"]).update(status="pending")
    Alert.objects.create(
        organisation=world["health"],
        metric=Metric.objects.get(code="visits-on-time"),
        kind=AlertKind.SPECIAL_CAUSE_CONCERN,
        period="2011-Q3",
        rule="shift",
    )
    client.force_login(person("c@example.org", "commissioner", world["pct"]))
    assert "Visits on time" not in needs_of(client.get(reverse("home")))


def test_an_auditor_sees_finished_runs_drafts_and_withdrawn_material(
    auditor_client, world, django_assert_max_num_queries
):
    run = EvaluationRun.objects.create(status=RunStatus.DONE, finished_at=timezone.now())
    draft = Item.objects.create(key="portfolio", kind="portfolio", title="Portfolio report")
    withdrawn = Item.objects.create(
        key="scorecard:1",
        kind="scorecard",
        title="A withdrawn scorecard",
        status=ItemStatus.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )
    with django_assert_max_num_queries(20):
        response = auditor_client.get(reverse("home"))
    check_conventions(response.content.decode())
    section = needs_of(response)
    assert f'href="{run.get_absolute_url()}"' in section
    assert f'href="{draft.get_absolute_url()}"' in section
    assert f'href="{withdrawn.get_absolute_url()}"' in section


def test_a_commissioner_sees_their_provider_at_high_risk_by_name_with_the_reason(
    client, world, as_of_2011_q3
):
    from mutuals.returns.models import Observation, Submission

    cash = Metric.objects.create(
        code="cash-days", name="Cash days", unit="days", direction="higher", domain="finance"
    )
    Observation.objects.create(
        organisation=world["health"],
        metric=cash,
        period="2011-Q3",
        period_start=dt.date(2011, 7, 1),
        period_kind="quarter",
        value=5,
        submission=Submission.objects.create(source=Submission.Source.UPLOAD),
    )
    client.force_login(person("c@example.org", "commissioner", world["pct"]))
    section = needs_of(client.get(reverse("home")))
    assert "Your providers at high risk of failing" in section
    assert f'href="{reverse("scorecard", args=[world["health"].pk])}"' in section
    assert ">Brackenford Community Health CIC</a>" in section
    assert "5 days" in section  # the reason, in words
    # The council's commissioner is told nothing of the PCT's provider.
    client.force_login(person("fen@example.org", "commissioner", world["council"]))
    assert "Brackenford Community Health CIC" not in needs_of(client.get(reverse("home")))
