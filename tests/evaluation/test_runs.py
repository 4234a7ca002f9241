"""Issue #5: impact evaluation runs through the product — database, engine, stored results.

On the small demo world (seed 2011) loaded into the database:

* a run's verdicts meet issue #14's targets against the world's truth file
  (the same rule as tests/demo/test_truth_coverage.py for which cohorts can
  be compared: at least two spin-outs and none lost to an exit): at most 5% of
  null pairs are findings after the run's multiplicity control, and the
  intervals shown cover at least 90% of the true effects;
* every row states its verdict, reason and comparators; no interval clear of
  zero is anything but a finding; no synthetic control too small for its
  placebo test gives an effect or no-effect verdict;
* the same run twice gives identical numbers and fingerprint, and changing a
  single observation changes the fingerprint;
* ``mutuals evaluate --json`` prints the documented fields, and bad options
  get a one-line message.
"""

from __future__ import annotations

import json
import math
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
FALSE_FINDINGS = 0.05
JSON_FIELDS = {
    "programme", "cohort", "metric", "att", "ci_low", "ci_high", "ci_level", "verdict",
    "reason", "comparators", "p_value", "p_value_adjusted", "grade", "assessable_from",
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


@pytest.fixture
def full_run(db):
    load_world(small_world())
    return evaluate(EvaluationConfig())


FINDINGS = ("improved", "worsened", "increased", "decreased")


@pytest.mark.django_db
def test_product_verdicts_find_the_true_effects_and_not_the_nulls(full_run):
    """Issue #14's acceptance on the demo truth: after the run's multiplicity control,
    findings on null pairs stay at or below 5% and the intervals shown cover the true
    effects at least 90% of the time."""
    run = full_run
    assert run.status == RunStatus.DONE
    results = {
        (r.programme.code, r.cohort, r.metric.code): r
        for r in EvaluationResult.objects.filter(run=run, method="did").select_related(
            "programme", "metric"
        )
    }
    compared, covered, nulls, found = 0, 0, 0, 0
    for truth in small_world().truth:
        result = results.get((truth["programme"], truth["cohort"], truth["metric"]))
        if result is None or result.att is None or result.details["dropped_units"]:
            continue
        assert result.treated_units == truth["units"]
        if truth["true_att"] == 0:
            nulls += 1
            found += result.verdict in FINDINGS
        else:
            compared += 1
            covered += result.ci_low <= truth["true_att"] <= result.ci_high
    print(f"coverage {covered}/{compared}; false findings {found}/{nulls}")
    assert compared >= 20 and nulls >= 10
    assert covered / compared >= COVERAGE
    assert found / nulls <= FALSE_FINDINGS
    # the run says how many tests it made and under which control
    summary = run.multiplicity
    assert summary["method"] == "benjamini_hochberg" and summary["tests"] >= 30
    assert summary["findings"] == sum(
        r.verdict in FINDINGS for r in run.results.filter(p_value_adjusted__isnull=False)
    )


@pytest.mark.django_db
def test_every_row_states_its_verdict_reason_and_comparators(full_run):
    rows = result_rows(full_run)
    assert rows and all(row["verdict"] and row["reason"] for row in rows)
    assert all(isinstance(row["comparators"], int) for row in rows)
    assert all(
        row[key] is None or math.isfinite(row[key])
        for row in rows
        for key in ("att", "ci_low", "ci_high", "p_value", "p_value_adjusted")
    ), "no NaN reaches a user"
    # every programme × cohort × metric of the truth has a row, estimated or not
    keys = {(r["programme"], r["cohort"], r["metric"]) for r in rows}
    assert {(t["programme"], t["cohort"], t["metric"]) for t in small_world().truth} <= keys


@pytest.mark.django_db
def test_no_interval_clear_of_zero_hides_as_too_early_or_anything_else(full_run):
    for r in full_run.results.exclude(ci_low=None):
        clear = r.ci_low > 0 or r.ci_high < 0
        assert clear == (r.verdict in FINDINGS), (r.verdict, r.ci_low, r.ci_high, r.reason)
        if r.p_value_adjusted is not None:
            assert clear == (r.p_value_adjusted <= 0.05)


@pytest.mark.django_db
def test_no_synthetic_control_too_small_for_its_test_gives_an_effect_or_no_effect(full_run):
    level = 1 - full_run.multiplicity["interval_level"]
    for r in full_run.results.filter(method="synth"):
        if 1 / (r.comparison_units + 1) > level:
            assert r.verdict in ("cannot_assess", "too_early"), (r.comparison_units, r.verdict)
        if r.verdict == "cannot_assess" and r.p_value is not None:
            assert "comparators are needed" in r.reason


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
