"""The demo's synthetic surveys: one closed, published survey a year after spin-out, small
groups that get suppressed, and the planted engagement → quality association."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from mutuals.accounts.permissions import Viewer
from mutuals.engagement import link
from mutuals.engagement.demo import load_demo_surveys
from mutuals.engagement.models import Response, Survey
from mutuals.engagement.results import survey_results
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind
from mutuals.returns.models import Direction, Domain, Metric, Observation, PeriodKind, Submission


@pytest.fixture
def providers(db):
    rng = np.random.default_rng(11)
    metric = Metric.objects.create(
        code="patient-experience", name="Patient experience", unit="% positive",
        direction=Direction.HIGHER_IS_BETTER, domain=Domain.EXPERIENCE,
    )  # fmt: skip
    submission = Submission.objects.create(source=Submission.Source.DEMO)
    observations, made = [], []
    for n in range(8):
        provider = Organisation.objects.create(
            name=f"Demo Provider {n}", kind=OrganisationKind.PROVIDER,
            legal_form=LegalForm.CIC_GUARANTEE, spinout_date=dt.date(2011, 4, 1),
            exit_date=dt.date(2016, 3, 31) if n == 0 else None, staff_count=300 + 50 * n,
        )  # fmt: skip
        made.append(provider)
        for year in range(2011, 2020):
            level = 80 + rng.normal(0, 2)
            observations += [
                Observation(organisation=provider, metric=metric, period=f"{year}-Q{q + 1}",
                            period_start=dt.date(year, 3 * q + 1, 1),
                            period_kind=PeriodKind.QUARTER, value=level + rng.normal(0, 0.5),
                            submission=submission)
                for q in range(4)
            ]  # fmt: skip
    Observation.objects.bulk_create(observations)
    return {"providers": made, "metric": metric}


def test_surveys_follow_spin_out_and_exit(providers):
    created = load_demo_surveys(2011)
    assert created == Response.objects.count() > 0
    exited = providers["providers"][0]
    assert list(Survey.objects.filter(organisation=exited).values_list("year", flat=True)
                .order_by("year")) == [2012, 2013, 2014, 2015, 2016]  # fmt: skip
    assert Survey.objects.count() == 5 + 7 * 8
    assert not Survey.objects.exclude(status="closed").exists()


def test_the_same_seed_gives_the_same_answers(providers):
    load_demo_surveys(2011)
    first = Counter(Response.objects.values_list("group", "q_look_forward", "q_recommend_work"))
    Survey.objects.all().delete()
    load_demo_surveys(2011)
    again = Counter(Response.objects.values_list("group", "q_look_forward", "q_recommend_work"))
    assert again == first


def test_small_groups_are_suppressed(providers):
    load_demo_surveys(2011)
    results = survey_results(Survey.objects.select_related("organisation"))
    assert all(r.overall is not None for r in results)
    assert sum(r.hidden_groups for r in results) > 0
    assert all(
        g.respondents >= r.survey.min_group_size for r in results for g in r.groups
    )  # every group shown is big enough
    assert any("Senior manager or director" not in [g.label for g in r.groups] for r in results)


def test_the_planted_association_shows_on_the_link(providers):
    load_demo_surveys(2011)
    found = link.estimate(
        providers["metric"], viewer=Viewer(organisations={"auditor": frozenset()})
    )
    assert found.estimate.coef > 0
    assert found.estimate.confint[0] > 0


def test_the_demo_opens_a_survey_for_the_staff_member_to_answer(world, client):
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role
    from mutuals.engagement.demo import PULSE_TITLE, open_demo_survey

    assert open_demo_survey() == []  # no demo staff member yet
    staff = get_user_model().objects.create_user(username="staff@demo.invalid")
    Role.objects.create(user=staff, role="provider_staff", organisation=world["health"])
    [first] = open_demo_survey()
    [second] = open_demo_survey()
    assert Survey.objects.filter(title=PULSE_TITLE).count() == 1
    path = second.rsplit(" ", 1)[1]
    assert path != first.rsplit(" ", 1)[1]
    assert client.get(path).status_code == 200
