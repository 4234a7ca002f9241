"""Issue #5: impact evaluation runs through the product — database, engine, stored results.

On the small demo world (seed 2011) loaded into the database:

* a run's results meet issue #3's targets against the world's truth file
  (the same rule as tests/demo/test_truth_coverage.py for which cohorts can
  be compared: at least two spin-outs and none lost to an exit);
* the same run twice gives identical numbers and fingerprint, and changing a
  single observation changes the fingerprint;
* ``mutuals evaluate --json`` prints the documented fields, and bad options
  get a one-line message.
"""

from __future__ import annotations

import json
from functools import cache
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.evaluation.models import EvaluationResult, RunStatus
from mutuals.evaluation.services import EvaluationConfig, evaluate, result_rows
from mutuals.returns.models import CurrentObservation

COVERAGE = 0.90
FALSE_SIGNIFICANCE = 0.10
JSON_FIELDS = {
    "programme", "cohort", "metric", "att", "ci_low", "ci_high", "verdict", "grade",
    "assessable_from",
}  # fmt: skip


@cache
def small_world():
    return build_world("small", seed=2011)


def _numbers(run) -> list[tuple]:
    return [
        (r["programme"], r["cohort"], r["metric"], r["method"], r["organisation"], r["att"],
         r["ci_low"], r["ci_high"], r["p_value"], r["verdict"], r["grade"])
        for r in result_rows(run)
    ]  # fmt: skip


@pytest.mark.django_db
def test_product_runs_cover_the_true_effects():
    world = small_world()
    load_world(world)
    run = evaluate(EvaluationConfig())
    assert run.status == RunStatus.DONE
    results = {
        (r.programme.code, r.cohort, r.metric.code): r
        for r in EvaluationResult.objects.filter(run=run, method="did").select_related(
            "programme", "metric"
        )
    }
    compared, covered, nulls, significant = 0, 0, 0, 0
    for truth in world.truth:
        result = results.get((truth["programme"], truth["cohort"], truth["metric"]))
        if result is None or result.details["dropped_units"]:
            continue
        assert result.treated_units == truth["units"]
        if truth["true_att"] == 0:
            nulls += 1
            significant += not result.ci_low <= 0 <= result.ci_high
        else:
            compared += 1
            covered += result.ci_low <= truth["true_att"] <= result.ci_high
    print(f"coverage {covered}/{compared}; false significance {significant}/{nulls}")
    assert compared >= 20 and nulls >= 10
    assert covered / compared >= COVERAGE
    assert significant / nulls <= FALSE_SIGNIFICANCE
    # single providers get a synthetic control with placebo inference
    synths = EvaluationResult.objects.filter(run=run, method="synth")
    assert synths.filter(programme__code="social-work-practices").exists()
    assert synths.filter(programme__code="integrated-care").exists()
    assert all(0 < r.p_value <= 1 for r in synths)


@pytest.mark.django_db
def test_the_same_run_twice_is_identical_and_one_changed_observation_shows():
    load_world(small_world())
    config = EvaluationConfig(
        programmes=("right-to-request", "integrated-care"), metrics=("waiting-time-weeks",)
    )
    first, second = evaluate(config), evaluate(config)
    assert first.pk != second.pk
    assert first.fingerprint == second.fingerprint and len(first.fingerprint) == 64
    assert first.code_version == second.code_version
    assert _numbers(first) == _numbers(second) and _numbers(first)

    observation = CurrentObservation.objects.filter(
        metric__code="waiting-time-weeks", organisation__programmes__code="right-to-request"
    ).first()
    observation.value += 0.5
    observation.save(update_fields=["value"])
    third = evaluate(config)
    assert third.fingerprint != first.fingerprint


@pytest.mark.django_db
def test_too_early_is_stated_with_when_it_will_be_assessable():
    load_world(small_world())
    run = evaluate(
        EvaluationConfig(
            programmes=("right-to-request",), metrics=("waiting-time-weeks",), as_of="2012-Q4"
        )
    )
    row = run.results.get(method="did", cohort="2011-Q2")
    assert row.verdict == "too_early"
    assert row.assessable_from >= "2013-Q1"
    assert row.post_periods == 7


@pytest.mark.django_db
def test_evaluate_command_prints_json_and_rejects_unknown_names():
    load_world(small_world())
    out = StringIO()
    call_command(
        "evaluate", "--programme", "right-to-request", "--metric", "staff-turnover", "--json",
        stdout=out,
    )  # fmt: skip
    rows = json.loads(out.getvalue())
    assert rows and all(set(row) >= JSON_FIELDS for row in rows)
    assert {row["programme"] for row in rows} == {"right-to-request"}
    with pytest.raises(CommandError, match="unknown programme nonsense"):
        call_command("evaluate", "--programme", "nonsense")
    with pytest.raises(CommandError, match="unknown metric"):
        call_command("evaluate", "--metric", "nonsense")
