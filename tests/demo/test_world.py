"""The demo world generator: deterministic, and shaped by FACTS.md."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from django.core.exceptions import ValidationError

from mutuals.demo.catalogue import METRIC_CODES
from mutuals.demo.effects import EFFECTS, effects_table
from mutuals.demo.world import build_world
from mutuals.registry.identifiers import (
    validate_charity_number,
    validate_company_number,
    validate_ods_code,
)


@pytest.fixture(scope="module")
def world():
    return build_world("small", seed=2011)


def _spin_outs(world, programme: str) -> pl.DataFrame:
    return world.organisations.filter(
        (pl.col("kind") == "provider") & (pl.col("programme") == programme)
    )


def test_same_seed_gives_identical_world(world):
    again = build_world("small", seed=2011)
    assert again.fingerprint() == world.fingerprint()
    assert again.observations.hash_rows().sum() == world.observations.hash_rows().sum()
    assert again.truth == world.truth


def test_different_seed_gives_different_world(world):
    other = build_world("small", seed=7)
    assert other.fingerprint() != world.fingerprint()
    assert not other.observations.equals(world.observations)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="scale must be one of"):
        build_world("galactic")  # type: ignore[arg-type]


def test_right_to_request_cohort_matches_the_facts(world):
    rtr = _spin_outs(world, "right-to-request")
    assert 45 <= rtr.height <= 55
    launched = rtr["spinout_date"]
    assert (launched == date(2011, 4, 1)).sum() > rtr.height / 2
    assert launched.min() >= date(2009, 1, 1) and launched.max() <= date(2012, 12, 31)
    cohorts = rtr.group_by("spinout_date").len()
    assert cohorts.height >= 4 and cohorts["len"].min() >= 3
    assert rtr["staff_count"].sum() == pytest.approx(25_000, rel=0.1)
    assert rtr["staff_count"].min() >= 5 and rtr["staff_count"].max() <= 1_250
    values = [
        c.annual_value
        for c in world.contracts
        if c.reference.startswith("DEMO-RTR") and "/" not in c.reference
    ]
    assert sum(values) == pytest.approx(900e6, rel=0.1)
    assert min(values) >= 315_000 and max(values) >= 20e6
    assert rtr["company_number"].null_count() == 0


def test_social_work_pilots(world):
    pilots = _spin_outs(world, "social-work-practices")
    assert pilots.height == 5
    assert pilots["spinout_date"].min() >= date(2009, 12, 1)
    assert pilots["spinout_date"].max() <= date(2010, 5, 31)
    exits = pilots["exit_date"].drop_nulls()
    assert exits.len() == 2 and all(date(2011, 1, 1) <= d <= date(2012, 12, 31) for d in exits)
    commissioners = world.organisations.filter(pl.col("key").is_in(pilots["parent_key"].implode()))
    assert set(commissioners["legal_form"]) == {"council"}
    matched = world.memberships.filter(
        (pl.col("programme") == "social-work-practices") & (pl.col("role") == "comparator")
    )
    assert matched.height > 0


def test_integrated_care_mutuals_and_the_handback(world):
    mutuals = _spin_outs(world, "integrated-care").sort("spinout_date")
    assert mutuals.height == 2
    assert mutuals["spinout_date"][0] == date(2011, 7, 1)
    assert mutuals["staff_count"].to_list() == [800, 400]
    assert mutuals["exit_date"].to_list() == [None, date(2016, 10, 1)]
    leaver = mutuals["key"][1]
    contract = next(c for c in world.contracts if c.provider == leaver)
    assert contract.status == "terminated" and contract.end_date < date(2016, 10, 1)
    assert len(contract.commissioners) == 2 and contract.continuity_plan
    reported = world.observations.filter(pl.col("organisation") == leaver)
    assert reported["period_start"].max() < date(2016, 10, 1)


def test_comparators_are_never_treated(world):
    comparators = world.organisations.filter(pl.col("kind") == "comparator")
    assert 130 <= comparators.height <= 170
    assert comparators["spinout_date"].null_count() == comparators.height
    assert comparators["exit_date"].null_count() == comparators.height
    roles = world.memberships.join(comparators.select(organisation="key"), on="organisation")
    assert set(roles["role"]) == {"comparator"}


def test_identifiers_pass_the_validators_and_are_unique(world):
    orgs = world.organisations
    for column, validate in (
        ("ods_code", validate_ods_code),
        ("company_number", validate_company_number),
        ("charity_number", validate_charity_number),
    ):
        values = orgs[column].drop_nulls().to_list()
        assert len(values) == len(set(values)), column
        for value in values:
            try:
                validate(value)
            except ValidationError as error:  # pragma: no cover - the failure message
                pytest.fail(f"{column} {value}: {error}")
    reporting = orgs.filter(pl.col("kind") != "commissioner")
    assert reporting.filter(
        pl.col("ods_code").is_null()
        & pl.col("company_number").is_null()
        & pl.col("charity_number").is_null()
    ).is_empty()


def test_names_are_unique_and_fictional(world):
    names = world.organisations["name"].to_list()
    assert len(names) == len(set(names))
    real = ("Care Plus Group", "SEQOL", "Central Surrey Health", "Bristol", "Swindon")
    assert not [n for n in names if any(r.lower() in n.lower() for r in real)]


def test_metric_catalogue_and_observations(world):
    assert len(world.metrics) >= 10
    obs = world.observations
    assert set(obs["metric"]) == set(METRIC_CODES)
    assert obs["period"].min() == "2007-Q1" and obs["period"].max() == "2019-Q4"
    assert obs.select("organisation", "metric", "period").is_duplicated().sum() == 0
    assert obs["value"].is_nan().sum() == 0
    social = {"placement-stability", "keyworker-continuity", "caseload-per-worker"}
    social_orgs = set(world.organisations.filter(pl.col("children").is_not_null())["key"].to_list())
    reporters = set(obs.filter(pl.col("metric").is_in(list(social)))["organisation"].to_list())
    assert reporters == social_orgs
    experience = obs.filter(pl.col("metric") == "patient-experience")
    assert experience["denominator"].null_count() == 0
    margin = obs.filter(pl.col("metric") == "operating-margin")["value"]
    assert margin.min() < 0 < margin.max()
    non_negative = obs.filter(pl.col("metric") != "operating-margin")["value"]
    assert non_negative.min() >= 0


def test_contracts_mostly_lack_measurable_objectives(world):
    def measurable(contract):
        return any(o.metric and o.target is not None and o.deadline for o in contract.objectives)

    first = [c for c in world.contracts if "/" not in c.reference]
    assert len(first) == 57 and len(world.contracts) > len(first)
    exemplary = [c for c in first if measurable(c)]
    assert 1 <= len(exemplary) <= len(first) // 5
    assert sum(c.savings_requirement_pct is not None for c in first) == len(exemplary)
    assert sum(c.baseline is not None for c in first) > len(first) / 2
    for contract in world.contracts:
        assert contract.end_date >= contract.start_date
        assert contract.status in {"active", "ended", "terminated"}


def test_truth_records(world):
    truth = world.truth
    assert truth and all(
        {"programme", "cohort", "metric", "true_att", "delay_quarters"} <= set(r) for r in truth
    )
    by_key = {(r["programme"], r["cohort"], r["metric"]): r for r in truth}
    assert len(by_key) == len(truth)
    assert by_key[("right-to-request", "2011-Q2", "cash-days")]["true_att"] == pytest.approx(-4)
    assert by_key[("right-to-request", "2011-Q2", "income")]["true_att"] == 0
    sickness = by_key[("right-to-request", "2011-Q2", "sickness-absence")]["true_att"]
    assert -0.8 < sickness < -0.6  # the first year ramps in
    late = by_key[("right-to-request", "2012-Q2", "waiting-time-weeks")]
    assert late["delay_quarters"] == 8 and -1 < late["true_att"] < -0.5
    assert {r["cohort"] for r in truth if r["programme"] == "right-to-request"} == {
        "2009-Q4",
        "2010-Q2",
        "2010-Q4",
        "2011-Q2",
        "2012-Q2",
    }


def test_truth_equals_injected_effect_for_a_step(world):
    """A step effect on a linear metric shows up exactly as y1 − y0 in every post cell."""
    rtr = _spin_outs(world, "right-to-request").filter(pl.col("spinout_date") == date(2011, 4, 1))
    effect = next(e for e in EFFECTS if e.metric == "cash-days")
    record = next(
        r
        for r in world.truth
        if r["metric"] == "cash-days"
        and r["cohort"] == "2011-Q2"
        and r["programme"] == "right-to-request"
    )
    assert record["true_att"] == pytest.approx(effect.size)
    assert record["cells"] == rtr.height * (2019 - 2011) * 4 + rtr.height * 3


def test_effects_are_documented():
    table = effects_table()
    for effect in EFFECTS:
        assert effect.comment and effect.metric in table


def test_national_scale_is_large(world):
    national = build_world("national", seed=2011)
    assert national.organisations.filter(pl.col("kind") == "comparator").height == 5_000
    assert national.observations.height >= 2_000_000
    orgs = national.organisations
    assert orgs["name"].n_unique() == orgs.height
    codes = orgs["ods_code"].drop_nulls()
    assert codes.n_unique() == codes.len()
    assert codes.str.contains(r"^[A-Z0-9]{3,5}$").all()


def test_truth_as_of_an_earlier_quarter(world):
    """Evaluated as of 2012-Q4, the 2012-Q2 cohort has seen none of the late effects."""
    early = {(r["programme"], r["cohort"], r["metric"]): r for r in world.truth_as_of("2012-Q4")}
    late = early[("right-to-request", "2012-Q2", "waiting-time-weeks")]
    assert late["true_att"] == 0 and late["cells"] == 3 * late["units"]
    assert ("right-to-request", "2012-Q2", "cash-days") in early
    full = {(r["programme"], r["cohort"], r["metric"]): r for r in world.truth_as_of("2019-Q4")}
    assert list(full.values()) == world.truth
