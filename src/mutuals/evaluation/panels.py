"""Evaluation panels read from the database: who was treated when, and what they reported.

For one programme and metric, :func:`programme_panel` gives the long panel the
engine's estimators take — ``unit`` (organisation id), ``time`` (integer
quarter index), ``cohort`` (first treated quarter, 0 for comparators) and
``outcome`` — from the programme's members and their current quarterly
returns:

* a spin-out's cohort is the quarter containing its spin-out date; a member
  without a spin-out date is not evaluated;
* comparators are the programme's members with the comparator role;
* with ``as_of``, only quarters up to and including it are read;
* the panel is balanced, as the estimators need: units not observed in every
  quarter of the window (providers that exited, comparators with gaps) are
  left out and listed in :attr:`Panel.dropped`.

Everything is read with one query per metric into polars — a national
portfolio has millions of observations, far too many for ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from mutuals.registry.models import ProgrammeMembership
from mutuals.returns.models import Observation, PeriodKind
from mutuals.returns.reading import read_frame

SCHEMA = {"unit": pl.Int64, "time": pl.Int64, "outcome": pl.Float64}


@dataclass(frozen=True)
class Panel:
    """A balanced panel for one programme and metric, with the units left out."""

    programme: str
    metric: str
    frame: pl.DataFrame  # unit, time, cohort, outcome
    dropped: pl.DataFrame  # unit, cohort
    window: pl.DataFrame  # every member's values, before balancing

    @property
    def cohorts(self) -> dict[int, int]:
        """Treated units per cohort (first treated quarter index → count)."""
        treated = self.frame.filter(pl.col("cohort") > 0)
        sizes = treated.group_by("cohort").agg(pl.col("unit").n_unique().alias("n"))
        return dict(sizes.sort("cohort").rows())

    @property
    def comparison_units(self) -> int:
        return self.frame.filter(pl.col("cohort") == 0)["unit"].n_unique()


def members(programme_id: int) -> pl.DataFrame:
    """The programme's evaluable members: unit and cohort (0 for comparators)."""
    rows = ProgrammeMembership.objects.filter(programme_id=programme_id).values_list(
        "organisation_id", "role", "organisation__spinout_date"
    )
    units, cohorts = [], []
    for organisation_id, role, spinout_date in rows:
        if role == ProgrammeMembership.Role.COMPARATOR:
            units.append(organisation_id)
            cohorts.append(0)
        elif spinout_date is not None:
            units.append(organisation_id)
            cohorts.append(spinout_date.year * 4 + (spinout_date.month - 1) // 3)
    return pl.DataFrame(
        {"unit": units, "cohort": cohorts}, schema={"unit": pl.Int64, "cohort": pl.Int64}
    )


def quarterly_values(metric_id: int, as_of: int | None = None) -> pl.DataFrame:
    """Every current quarterly value of one metric: unit, time, outcome (one query)."""
    return quarterly_values_by_metric([metric_id], as_of)[metric_id]


def quarterly_values_by_metric(
    metric_ids: Sequence[int],
    as_of: int | None = None,
    *,
    bulk: bool = False,
    programme_id: int | None = None,
) -> dict[int, pl.DataFrame]:
    """:func:`quarterly_values` of several metrics, read in one pass over the returns
    (``bulk``: a whole portfolio's worth, see :func:`mutuals.returns.reading.read_frame`);
    with ``programme_id``, only the programme's members' values (one step's worth)."""
    table = Observation._meta.db_table
    marks = ", ".join(["%s"] * len(metric_ids))
    sql = (
        f"SELECT metric_id, organisation_id, period, value FROM {table} "
        f"WHERE metric_id IN ({marks}) AND is_current = %s AND period_kind = %s"
    )
    params = [*metric_ids, True, PeriodKind.QUARTER]
    if programme_id is not None:
        memberships = ProgrammeMembership._meta.db_table
        sql += (
            f" AND organisation_id IN (SELECT organisation_id FROM {memberships} "
            "WHERE programme_id = %s)"
        )
        params.append(programme_id)
    frame = read_frame(
        sql,
        params,
        {"metric_id": pl.Int64, "unit": pl.Int64, "period": pl.Utf8, "outcome": pl.Float64},
        bulk=bulk,
    )
    # Quarter labels are always "YYYY-Qn" (see mutuals.returns.periods).
    year = pl.col("period").str.slice(0, 4).cast(pl.Int64)
    quarter = pl.col("period").str.slice(6, 1).cast(pl.Int64)
    frame = frame.select("metric_id", "unit", (year * 4 + quarter - 1).alias("time"), "outcome")
    if as_of is not None:
        frame = frame.filter(pl.col("time") <= as_of)
    parts = frame.partition_by("metric_id", as_dict=True, include_key=False)
    empty = frame.drop("metric_id").clear()
    return {metric_id: parts.get((metric_id,), empty) for metric_id in metric_ids}


def programme_panel(
    programme_code: str,
    programme_id: int,
    metric_code: str,
    values: pl.DataFrame,
    units: pl.DataFrame,
) -> Panel:
    """Join a metric's values (:func:`quarterly_values`) to a programme's members and balance."""
    window = values.join(units, on="unit").select("unit", "time", "cohort", "outcome")
    window = window.sort("unit", "time")
    quarters = window["time"].n_unique()
    counts = window.group_by("unit").agg(pl.col("time").n_unique().alias("n"))
    complete = counts.filter(pl.col("n") == quarters)["unit"].implode()
    frame = window.filter(pl.col("unit").is_in(complete))
    dropped = (
        window.filter(~pl.col("unit").is_in(complete))
        .select("unit", "cohort")
        .unique()
        .sort("unit")
    )
    return Panel(programme_code, metric_code, frame, dropped, window)
