"""Impact evaluation pages: who may see and start runs, progress, results, conventions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mutuals.evaluation import services
from mutuals.evaluation.models import EvaluationResult, EvaluationRun, RunStatus
from mutuals.registry.models import Programme

from .test_page_conventions import _sign_in_as, check_conventions


@pytest.fixture
def finished_run(world):
    run = EvaluationRun.objects.create(
        status=RunStatus.DONE,
        configuration=services.EvaluationConfig().to_json(),
        code_version="0.1.0+abc",
        fingerprint="f" * 64,
        steps_done=2,
        steps_total=2,
    )
    programme = Programme.objects.get(code="right-to-request")
    common = {"run": run, "programme": programme, "metric": world["visits"], "grade": 3}
    EvaluationResult.objects.create(
        **common, cohort="2011-Q2", method="did", treated_units=2, comparison_units=3,
        pre_periods=16, post_periods=30, att=-1.25, se=0.3, ci_low=-1.84, ci_high=-0.66,
        p_value=0.0001, verdict="improved",
    )  # fmt: skip
    EvaluationResult.objects.create(
        **common, cohort="2011-Q2", method="synth", organisation=world["health"],
        treated_units=1, comparison_units=3, pre_periods=16, post_periods=5, att=0.4,
        p_value=0.5, verdict="too_early", assessable_from="2013-Q1",
    )  # fmt: skip
    return run


@pytest.mark.parametrize("role", ["public", "provider_manager"])
def test_only_auditors_and_commissioners_see_evaluation(client, world, role):
    _sign_in_as(client, world, role)
    # Someone not signed in is asked to sign in; a provider's manager may not see it at all.
    assert client.get(reverse("evaluations")).status_code == (302 if role == "public" else 403)
    assert "Evaluation</a>" not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("role", ["auditor", "commissioner"])
def test_runs_page_keeps_the_conventions_and_offers_a_run(client, world, finished_run, role):
    _sign_in_as(client, world, role)
    response = client.get(reverse("evaluations"))
    assert response.status_code == 200
    page = response.content.decode()
    check_conventions(page)
    assert "Start the evaluation" in page and f"Run {finished_run.pk}" in page
    assert 'href="/evaluation/"' in client.get(reverse("home")).content.decode()


def test_run_page_shows_results_with_intervals_verdicts_and_grades(client, world, finished_run):
    _sign_in_as(client, world, "auditor")
    response = client.get(finished_run.get_absolute_url())
    page = response.content.decode()
    check_conventions(page)
    assert "\u22121.25" in page  # the effect, in its unit
    # each row read out in words, with its interval
    assert "fell by 1.25" in page and "the 95% interval runs from 0.660 to 1.84" in page
    assert "Improved" in page and "Too early to assess" in page and "until 2013-Q1" in page
    assert "placebo p = 0.500" in page and "Level 3 of 5" in page
    assert not re.search(r"\d[eE][+-]\d", page), "no scientific notation"
    assert "f" * 64 in page
    assert "progress.js" not in page  # finished: nothing to poll


def test_starting_a_run_carries_it_out_and_shows_progress(client, world, monkeypatch):
    started = []
    monkeypatch.setattr("mutuals.evaluation.services.start", lambda run: started.append(run))
    _sign_in_as(client, world, "commissioner")
    response = client.post(
        reverse("evaluations"), {"programme": "right-to-request", "metric": "", "as_of": ""}
    )
    run = EvaluationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert started == [run] and run.status == RunStatus.QUEUED
    assert run.configuration["programmes"] == ["right-to-request"]

    queued = client.get(run.get_absolute_url()).content.decode()
    check_conventions(queued)
    assert "progress.js" in queued and "Queued" in queued
    # The total is known from the start: one step per programme and metric, never "?".
    assert "0 of 2 programme and metric pairs done" in queued and " of ? " not in queued
    progress = client.get(reverse("evaluation-run-progress", args=[run.pk])).json()
    assert progress == {
        "status": "queued", "status_text": "Queued", "steps_done": 0, "steps_total": 2,
        "percent": 0,
    }  # fmt: skip

    services.execute(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.steps_done == run.steps_total > 0
    assert len(run.fingerprint) == 64
    assert client.get(reverse("evaluation-run-progress", args=[run.pk])).json()["percent"] == 100


def test_a_bad_quarter_is_named_and_nothing_starts(client, world):
    _sign_in_as(client, world, "auditor")
    response = client.post(reverse("evaluations"), {"programme": "", "metric": "", "as_of": "2013"})
    assert response.status_code == 400
    page = response.content.decode()
    check_conventions(page)
    assert "Enter a quarter like 2013-Q1" in page and 'href="#id_as_of"' in page
    assert not EvaluationRun.objects.exists()


def test_who_started_a_run_is_named_by_their_chosen_name_never_their_address(
    client, world, finished_run
):
    from django.contrib.auth import get_user_model

    from mutuals.accounts.names import FALLBACK

    starter = get_user_model().objects.create_user(username="starter@example.org")
    finished_run.started_by = starter
    finished_run.save(update_fields=["started_by"])
    _sign_in_as(client, world, "commissioner")
    for url in (reverse("evaluations"), finished_run.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "starter@example.org" not in page and FALLBACK in page
