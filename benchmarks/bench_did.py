"""Time the staggered DiD against a bare diff-diff call on a national-sized panel.

    uv run python benchmarks/bench_did.py [--units 5000] [--periods 48] [--metrics 10]
        [--draws 999] [--quick]

A synthetic panel shaped like the national world: ``--units`` providers over
``--periods`` quarters, staggered spin-out cohorts (a third never treated),
and ``--metrics`` outcome metrics. For each metric we run ``mutuals.engine.did``
with a ``--draws`` multiplier bootstrap (all aggregations, uniform bands,
pre-trend test), timed per stage, and beside it the bare diff-diff call that
gives the same bootstrap event study: ``CallawaySantAnna(n_bootstrap=...)``
``.fit`` then ``.aggregate("event_study")``. Prints the overhead ratio
(target <= 1.5x).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mutuals.engine import did as did_module  # noqa: E402
from mutuals.engine.did_tables import build_tables  # noqa: E402

TARGET = 1.5


def make_panel(units: int, periods: int, metrics: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    starts = np.arange(periods // 4, periods - 4, max(1, periods // 10))
    cohort = np.where(rng.random(units) < 1 / 3, 0, rng.choice(starts, size=units))
    t = np.arange(1, periods + 1)
    columns = {
        "unit": np.repeat(np.arange(units), periods),
        "time": np.tile(t, units),
        "cohort": np.repeat(cohort, periods),
    }
    treated = (columns["cohort"] > 0) & (columns["time"] >= columns["cohort"])
    for m in range(metrics):
        unit_effect = np.repeat(rng.normal(size=units), periods)
        trend = np.tile(rng.normal(size=periods).cumsum() * 0.1, units)
        noise = rng.normal(scale=0.5, size=units * periods)
        columns[f"m{m}"] = unit_effect + trend + noise - 0.2 * treated
    return pl.DataFrame(columns)


def bare_diff_diff(frame, outcome: str, draws: int) -> float:
    from diff_diff import CallawaySantAnna

    start = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fitted = CallawaySantAnna(n_bootstrap=draws, seed=1).fit(
            frame, outcome=outcome, unit="unit", time="time", first_treat="cohort"
        )
        fitted.aggregate("event_study")
    return time.perf_counter() - start


def ours_by_stage(panel: pl.DataFrame, outcome: str, draws: int) -> dict[str, float]:
    config = did_module.DidConfig(
        outcome=outcome, unit="unit", time="time", cohort="cohort", bootstrap=draws, seed=1
    )
    stages, clock = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    prepared = did_module._prepare(panel, config)
    lap("validate")
    cells = did_module._cells(prepared, config)
    lap("ATT(g,t) (diff-diff)")
    tables = build_tables(cells, config)
    lap("aggregate + bootstrap")
    did_module._pretrend_event(tables)
    did_module._pretrend_cells(cells)
    lap("pre-trend tests")
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=48)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--draws", type=int, default=999)
    parser.add_argument("--quick", action="store_true", help="1,000 units, 24 periods, 2 metrics")
    args = parser.parse_args()
    if args.quick:
        args.units, args.periods, args.metrics = 1000, 24, 2
    import diff_diff  # noqa: F401  (import once, outside the timings)

    panel = make_panel(args.units, args.periods, args.metrics)
    frame = panel.to_pandas()
    ours_total, bare_total, first = 0.0, 0.0, None
    for m in range(args.metrics):
        stages = ours_by_stage(panel, f"m{m}", args.draws)
        bare = bare_diff_diff(frame, f"m{m}", args.draws)
        first = first or stages
        ours_total += sum(stages.values())
        bare_total += bare
        print(f"metric m{m}: mutuals {sum(stages.values()):.2f} s, bare diff-diff {bare:.2f} s")
    print(
        f"\nCS-DiD, {args.units} units x {args.periods} periods, {args.metrics} metrics, "
        f"{args.draws} bootstrap draws"
    )
    print("stages (first metric):")
    for name, seconds in first.items():
        print(f"  {name:<24} {seconds:>8.3f} s")
    ratio = ours_total / bare_total
    print(f"{'total mutuals':<26} {ours_total:>8.2f} s")
    print(f"{'total bare diff-diff':<26} {bare_total:>8.2f} s")
    print(f"overhead ratio {ratio:.2f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
