"""Loading the demo world into the database, and the ``demo-data`` command."""

from __future__ import annotations

import json
from functools import cache

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutuals.contracts.models import Baseline, CommissioningRelationship, Contract, Objective
from mutuals.demo.load import DemoWorldExistsError, load_world
from mutuals.demo.world import build_world
from mutuals.registry.models import Organisation, ProgrammeMembership
from mutuals.returns.models import CurrentObservation, Metric, Observation, Submission


@cache
def small_world():
    return build_world("small", seed=2011)


@pytest.mark.django_db
def test_loading_the_small_world_then_again_only_with_replace():
    world = small_world()
    summary = load_world(world)
    assert Organisation.objects.count() == world.organisations.height == summary.organisations
    assert Organisation.objects.filter(kind="provider").count() == 57
    assert ProgrammeMembership.objects.count() == world.memberships.height
    assert Contract.objects.count() == len(world.contracts)
    assert Objective.objects.count() == sum(len(c.objectives) for c in world.contracts)
    assert Baseline.objects.count() == sum(c.baseline is not None for c in world.contracts)
    assert Metric.objects.count() == len(world.metrics)
    assert Observation.objects.count() == world.observations.height == summary.observations
    assert CurrentObservation.objects.count() == world.observations.height
    assert set(Submission.objects.values_list("source", flat=True)) == {"demo"}
    leaver = Organisation.objects.get(kind="provider", exit_date__year=2016)
    assert leaver.contracts_held.get().commissioners.count() == 2
    pilot = Organisation.objects.filter(
        programmes__code="social-work-practices", kind="provider"
    ).first()
    assert pilot.parent.legal_form == "council"
    # Every commissioner was confirmed by its provider long ago: the demo's commissioners
    # read their providers' returns.
    pairs = set(
        Contract.commissioners.through.objects.values_list(
            "organisation_id", "contract__provider_id"
        )
    )
    relationships = CommissioningRelationship.objects.all()
    assert set(relationships.values_list("commissioner_id", "provider_id")) == pairs
    assert set(relationships.values_list("status", flat=True)) == {"confirmed"}
    assert all(r.decided_at.year < 2020 for r in relationships)

    with pytest.raises(DemoWorldExistsError, match="--replace"):
        load_world(world)
    again = load_world(world, replace=True)
    assert Organisation.objects.count() == again.organisations
    assert Observation.objects.count() == world.observations.height


@pytest.mark.django_db(transaction=True)
def test_a_failed_load_leaves_the_database_as_it_was(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("mutuals.demo.load.load_observations", broken)
    with pytest.raises(RuntimeError):
        load_world(small_world())
    assert not Organisation.objects.exists() and not Contract.objects.exists()


@pytest.mark.django_db
def test_the_command_loads_and_writes_the_truth_file(tmp_path):
    truth = tmp_path / "truth.json"
    call_command("demo-data", scale="small", seed=2011, truth_out=str(truth), verbosity=0)
    records = json.loads(truth.read_text())
    assert isinstance(records, list) and records == small_world().truth
    assert Organisation.objects.count() == small_world().organisations.height
    with pytest.raises(CommandError, match="already holds"):
        call_command("demo-data", scale="small", truth_out=str(truth))


def test_observation_frame_matches_the_loader_contract():
    from mutuals.demo.load import _observation_frame

    world = small_world()
    organisations = {key: key + 1000 for key in world.organisations["key"].to_list()}
    metrics = {m.code: i for i, m in enumerate(world.metrics)}
    frame = _observation_frame(world, organisations, metrics)
    assert frame.columns == [
        "organisation_id",
        "metric_id",
        "period",
        "period_start",
        "period_kind",
        "value",
        "numerator",
        "denominator",
    ]
    assert frame.schema["period_start"] == pl.Date
    assert frame["organisation_id"].null_count() == frame["metric_id"].null_count() == 0
