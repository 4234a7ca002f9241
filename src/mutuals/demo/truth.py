"""The true average effects on the treated, from the effects actually injected.

For each programme, cohort (first treated quarter) and metric, ``true_att`` is
the mean of the injected effect over the cohort's (provider, quarter) cells
from the first treated quarter to the last quarter the provider reported —
or to ``as_of``, to check an evaluation run as of an earlier date. That is
what the Callaway–Sant'Anna simple aggregation estimates in expectation.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from mutuals.demo.catalogue import METRICS, PROGRAMMES
from mutuals.demo.effects import effect_for
from mutuals.returns.periods import quarter_from_index, quarter_index


def truth_records(
    organisations: pl.DataFrame, injected: pl.DataFrame, as_of: str | None = None
) -> list[dict]:
    """One record per programme × cohort × metric with at least one treated cell."""
    cohorts = organisations.filter(pl.col("spinout_date").is_not_null()).select(
        pl.col("key").alias("organisation"),
        "programme",
        (
            pl.col("spinout_date").dt.year().cast(pl.Utf8)
            + "-Q"
            + ((pl.col("spinout_date").dt.month() - 1) // 3 + 1).cast(pl.Utf8)
        ).alias("cohort"),
    )
    cells = injected
    if as_of is not None:
        cells = cells.filter(pl.col("period") <= quarter_from_index(quarter_index(as_of)))
    groups = (
        cells.join(cohorts, on="organisation")
        .sort("programme", "cohort", "metric", "organisation", "period")
        .partition_by("programme", "cohort", "metric", maintain_order=True, as_dict=True)
    )
    programmes = [p.code for p in PROGRAMMES]
    metrics = [m.code for m in METRICS]
    records = []
    for (programme, cohort, metric), group in groups.items():
        effect = effect_for(programme, metric)
        records.append(
            {
                "programme": programme,
                "cohort": cohort,
                "metric": metric,
                # numpy, in a fixed order, so the figure is the same to the last bit
                "true_att": float(np.mean(group["effect"].to_numpy())),
                "delay_quarters": effect.delay_quarters if effect else 0,
                "ramp_quarters": effect.ramp_quarters if effect else 0,
                "units": group["organisation"].n_unique(),
                "cells": group.height,
            }
        )
    return sorted(
        records,
        key=lambda r: (programmes.index(r["programme"]), r["cohort"], metrics.index(r["metric"])),
    )
