"""The difference-in-differences panel for one programme and metric of the demo world.

:func:`programme_panel` turns the demo world's returns into the long panel that
:func:`mutuals.engine.did.did` takes (``unit``, ``time``, ``cohort``,
``outcome``): the programme's spin-outs plus the never-treated in-house
comparators of the same sector (social-work comparators for the social-work
practices, community-health comparators otherwise) that report the metric.

* ``cohort`` is the integer quarter index (:func:`mutuals.returns.periods.quarter_index`)
  of the first treated quarter, the quarter containing the spin-out date, exactly
  as :mod:`mutuals.demo.truth` labels cohorts; 0 for the comparators.
  :func:`cohort_label` turns it back into the truth's label ("2011-Q2").
* ``time`` is the integer quarter index of the return's period.
* With ``as_of``, only quarters up to and including it are kept.

``did()`` needs a balanced panel, and a provider that exits stops reporting.
The panel therefore keeps only the units observed in every quarter of the
window (exited providers are dropped); :func:`dropped_units` says which. The
truth file counts an exited provider's cells up to its exit, so a cohort that
lost a unit no longer matches its truth record (callers should skip it).
The function is pure: it reads the frames and returns a new one.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from mutuals.returns.periods import quarter_from_index, quarter_index

SOCIAL_PROGRAMMES = frozenset({"social-work-practices"})
PANEL_COLUMNS = ("unit", "time", "cohort", "outcome", "period")


def cohort_label(index: int) -> str:
    """The truth's cohort label ("2011-Q2") for an integer quarter index."""
    return quarter_from_index(int(index))


def _frames(world_or_frames: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    if isinstance(world_or_frames, tuple):
        organisations, observations = world_or_frames
        return organisations, observations
    return world_or_frames.organisations, world_or_frames.observations


def _candidates(organisations: pl.DataFrame, programme: str) -> pl.DataFrame:
    """The programme's spin-outs and the same sector's comparators, with cohorts."""
    social = programme in SOCIAL_PROGRAMMES
    same_sector = pl.col("children").is_not_null() if social else pl.col("children").is_null()
    spin_outs = (pl.col("kind") == "provider") & (pl.col("programme") == programme)
    spin_outs = spin_outs & pl.col("spinout_date").is_not_null()
    comparators = (pl.col("kind") == "comparator") & same_sector
    first_quarter = (
        pl.col("spinout_date").dt.year().cast(pl.Int64) * 4
        + (pl.col("spinout_date").dt.month().cast(pl.Int64) - 1) // 3
    )
    return organisations.filter(spin_outs | comparators).select(
        pl.col("key").alias("unit"),
        pl.when(spin_outs).then(first_quarter).otherwise(0).cast(pl.Int64).alias("cohort"),
    )


def _window(
    organisations: pl.DataFrame, observations: pl.DataFrame, programme: str, metric: str, as_of
) -> pl.DataFrame:
    units = _candidates(organisations, programme)
    rows = observations.filter(pl.col("metric") == metric)
    if as_of is not None:
        rows = rows.filter(pl.col("period") <= quarter_from_index(quarter_index(as_of)))
    return (
        rows.join(units, left_on="organisation", right_on="unit")
        .select(
            pl.col("organisation").alias("unit"),
            pl.col("period").map_elements(quarter_index, return_dtype=pl.Int64).alias("time"),
            "cohort",
            pl.col("value").alias("outcome"),
            "period",
        )
        .sort("unit", "time")
    )


def _complete(window: pl.DataFrame) -> pl.Series:
    quarters = window["time"].n_unique()
    counts = window.group_by("unit").agg(pl.col("time").n_unique().alias("n"))
    return counts.filter(pl.col("n") == quarters)["unit"]


def programme_panel(
    world_or_frames: Any, programme: str, metric: str, as_of: str | None = None
) -> pl.DataFrame:
    """The balanced DiD panel (unit, time, cohort, outcome, period) for one pair.

    ``world_or_frames`` is a :class:`mutuals.demo.world.World` or a tuple
    ``(organisations, observations)``. Units not observed in every quarter of
    the window (providers that exited) are left out, so ``did()`` accepts it.
    """
    organisations, observations = _frames(world_or_frames)
    window = _window(organisations, observations, programme, metric, as_of)
    return window.filter(pl.col("unit").is_in(_complete(window).implode()))


def dropped_units(
    world_or_frames: Any, programme: str, metric: str, as_of: str | None = None
) -> pl.DataFrame:
    """The (unit, cohort) pairs left out of :func:`programme_panel` as incomplete."""
    organisations, observations = _frames(world_or_frames)
    window = _window(organisations, observations, programme, metric, as_of)
    kept = _complete(window).implode()
    return window.filter(~pl.col("unit").is_in(kept)).select("unit", "cohort").unique().sort("unit")
