"""Time the staggered DiD against a bare diff-diff call on a national-sized panel.

    uv run python benchmarks/bench_did.py [--units 5000] [--periods 48] [--metrics 10]
        [--draws 999] [--runs 3] [--quick]

A synthetic panel shaped like the national world: ``--units`` providers over
``--periods`` quarters, staggered spin-out cohorts (a third never treated),
and ``--metrics`` outcome metrics. For each metric we time the whole
``mutuals.engine.did.did`` call with a ``--draws`` multiplier bootstrap (all
aggregations, uniform bands, both pre-trend tests) and beside it the bare
diff-diff call that gives the same bootstrap event study:
``CallawaySantAnna(n_bootstrap=...)`` ``.fit`` then ``.aggregate("event_study")``.
Both are warmed by one untimed call first, and within each metric the side
that goes first alternates. ``did()`` runs its estimate with one BLAS thread
(``did_threads``: on a busy machine threaded products stall), the bare call
with OpenBLAS's default; ``--same-threads`` gives the bare call one thread
too, to compare like with like.

A run times every metric; its overhead ratio is our total over diff-diff's,
printed beside the target (at most 1.5x). ``--runs`` runs are made, each
reported, and the script exits with status 1 if any run misses the target.
Then one metric is broken into stages (the median of three staged calls),
to show where our time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mutuals.engine import did as did_module  # noqa: E402
from mutuals.engine.did_tables import build_tables  # noqa: E402
from mutuals.engine.did_threads import single_threaded_blas  # noqa: E402

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


def _config(outcome: str, draws: int) -> did_module.DidConfig:
    return did_module.DidConfig(
        outcome=outcome, unit="unit", time="time", cohort="cohort", bootstrap=draws, seed=1
    )


def bare_diff_diff(frame, outcome: str, draws: int, threads=contextlib.nullcontext) -> float:
    from diff_diff import CallawaySantAnna

    start = time.perf_counter()
    with threads(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fitted = CallawaySantAnna(n_bootstrap=draws, seed=1).fit(
            frame, outcome=outcome, unit="unit", time="time", first_treat="cohort"
        )
        fitted.aggregate("event_study")
    return time.perf_counter() - start


def ours(panel: pl.DataFrame, outcome: str, draws: int) -> float:
    """The whole public call, as the evaluation makes it."""
    start = time.perf_counter()
    did_module.did(
        panel, outcome=outcome, unit="unit", time="time", cohort="cohort", bootstrap=draws, seed=1
    )
    return time.perf_counter() - start


def ours_by_stage(panel: pl.DataFrame, outcome: str, draws: int) -> dict[str, float]:
    """``did._estimate``'s steps, each timed (a diagnostic: the ratio uses ``ours``)."""
    config = _config(outcome, draws)
    stages, clock = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    prepared, _ = did_module._prepare(panel, config)
    lap("validate")
    with single_threaded_blas():  # as did() runs _estimate
        cells, _ = did_module._cells(prepared, config)
        lap("ATT(g,t) (diff-diff)")
        tables = build_tables(cells, config)
        lap("aggregate + bootstrap")
        did_module._pretrend_event(tables)
        did_module._pretrend_cells(cells)
        lap("pre-trend tests")
    return stages


def one_run(panel, frame, metrics: int, draws: int, threads) -> tuple[float, float, list[float]]:
    """Every metric once each side; returns both totals and the per-metric ratios."""
    ours_total, bare_total, ratios = 0.0, 0.0, []
    for m in range(metrics):
        outcome = f"m{m}"
        if m % 2:
            bare = bare_diff_diff(frame, outcome, draws, threads)
            mine = ours(panel, outcome, draws)
        else:
            mine = ours(panel, outcome, draws)
            bare = bare_diff_diff(frame, outcome, draws, threads)
        ours_total += mine
        bare_total += bare
        ratios.append(mine / bare)
    return ours_total, bare_total, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=48)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--draws", type=int, default=999)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 units, 24 periods, 2 metrics")
    parser.add_argument(
        "--same-threads", action="store_true", help="one BLAS thread for bare diff-diff too"
    )
    args = parser.parse_args()
    if args.quick:
        args.units, args.periods, args.metrics = 1000, 24, 2
    threads = single_threaded_blas if args.same_threads else contextlib.nullcontext

    panel = make_panel(args.units, args.periods, args.metrics)
    frame = panel.to_pandas()
    ours(panel, "m0", args.draws)  # warm both sides alike: imports, caches
    bare_diff_diff(frame, "m0", args.draws, threads)

    print(
        f"CS-DiD, {args.units} units x {args.periods} periods, {args.metrics} metrics, "
        f"{args.draws} bootstrap draws; {args.runs} runs, each timing every metric; "
        f"bare diff-diff with {'one BLAS thread' if args.same_threads else 'default threads'}"
    )
    missed = []
    for run in range(1, args.runs + 1):
        ours_total, bare_total, ratios = one_run(panel, frame, args.metrics, args.draws, threads)
        ratio = ours_total / bare_total
        verdict = "ok" if ratio <= TARGET else "MISSED"
        if ratio > TARGET:
            missed.append(run)
        print(
            f"run {run}: mutuals {ours_total:.2f} s, bare diff-diff {bare_total:.2f} s, "
            f"overhead ratio {ratio:.2f}x (target <= {TARGET}x) {verdict}; "
            f"per metric {min(ratios):.2f}-{max(ratios):.2f}x"
        )

    staged = [ours_by_stage(panel, "m0", args.draws) for _ in range(3)]
    print("stages of one metric (median of 3 staged calls):")
    for name in staged[0]:
        seconds = statistics.median(s[name] for s in staged)
        print(f"  {name:<24} {seconds:>8.3f} s")

    if missed:
        print(f"\nMISSED: overhead ratio above {TARGET}x in run(s) {missed}")
        sys.exit(1)
    print(f"\nall {args.runs} runs within {TARGET}x")


if __name__ == "__main__":
    main()
