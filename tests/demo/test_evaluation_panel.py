"""The DiD panel adapter for the demo world."""

from __future__ import annotations

import polars as pl
import pytest

from mutuals.demo.evaluation_panel import (
    PANEL_COLUMNS,
    cohort_label,
    dropped_units,
    programme_panel,
)
from mutuals.demo.world import build_world
from mutuals.returns.periods import quarter_index


@pytest.fixture(scope="module")
def world():
    return build_world("small", seed=2011)


def test_cohort_label_round_trips_the_truth_labels(world):
    assert cohort_label(quarter_index("2011-Q2")) == "2011-Q2"
    for record in world.truth:
        assert cohort_label(quarter_index(record["cohort"])) == record["cohort"]


def test_panel_is_balanced_with_spin_outs_and_same_sector_comparators(world):
    panel = programme_panel(world, "right-to-request", "sickness-absence")
    assert tuple(panel.columns) == PANEL_COLUMNS
    quarters = panel["time"].n_unique()
    assert quarters == 52  # 2007-Q1 .. 2019-Q4
    assert (panel.group_by("unit").len()["len"] == quarters).all()
    units = panel.select("unit", "cohort").unique()
    orgs = world.organisations.join(units, left_on="key", right_on="unit")
    treated = orgs.filter(pl.col("cohort") > 0)
    assert set(treated["programme"]) == {"right-to-request"}
    assert set(orgs.filter(pl.col("cohort") == 0)["kind"]) == {"comparator"}
    assert orgs["children"].is_null().all()  # community-health comparators only
    truth = {
        r["cohort"]: r["units"]
        for r in world.truth
        if (r["programme"], r["metric"]) == ("right-to-request", "sickness-absence")
    }
    cohorts = treated.group_by("cohort").len()
    assert {cohort_label(g): n for g, n in cohorts.rows()} == truth


def test_social_work_panel_uses_social_work_comparators_and_drops_exits(world):
    panel = programme_panel(world, "social-work-practices", "caseload-per-worker")
    orgs = world.organisations.filter(pl.col("key").is_in(panel["unit"].unique().implode()))
    assert orgs["children"].is_not_null().all()
    exited = world.organisations.filter(
        (pl.col("programme") == "social-work-practices") & pl.col("exit_date").is_not_null()
    )["key"]
    assert not panel["unit"].is_in(exited.implode()).any()
    assert set(dropped_units(world, "social-work-practices", "caseload-per-worker")["unit"]) == set(
        exited
    )


def test_as_of_cuts_the_window_and_accepts_the_frames_tuple(world):
    frames = (world.organisations, world.observations)
    panel = programme_panel(frames, "right-to-request", "waiting-time-weeks", as_of="2012-Q4")
    assert panel["period"].max() == "2012-Q4"
    assert panel["time"].max() == quarter_index("2012-Q4")
    assert panel["time"].min() == quarter_index("2007-Q1")
    # cohorts after the cut are still in the panel, simply not yet treated
    assert quarter_index("2012-Q2") in set(panel["cohort"])
