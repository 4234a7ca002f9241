"""The whole portfolio evaluation, end to end from the database, against the bare estimators.

Builds the demo world (national by default: about 5,000 providers, 2.4 million
observations) in a fresh SQLite database, then times what ``mutuals monitor``
and ``mutuals evaluate`` do: SPC and alerts for every series, and every
programme cohort × metric (difference-in-differences) plus a synthetic control
with placebo inference for each single provider, with results stored.

While the product runs, every call it makes to the engine's estimators
(``spc``, ``did``, ``synth``) is recorded with its inputs; afterwards the same
calls are replayed directly and timed. The ratio of the product's time to that
sum is the product's overhead: reading the database, building panels,
verdicts, grades, fingerprints and storing results. Target: at most 2x.

    uv run python benchmarks/bench_workbench.py [--scale national|small]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_OVERHEAD = 2.0


def build_database(path: Path, scale: str) -> float:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DEBUG": "false"}
    started = time.perf_counter()
    for args in (("migrate", "--verbosity", "0"), ("demo-data", "--scale", scale)):
        command = [sys.executable, "-m", "mutuals.cli", *args]
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


class Recorder:
    """Wraps an estimator so each call's inputs are kept for the replay."""

    def __init__(self, function):
        self.function = function
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.function(*args, **kwargs)

    def replay(self) -> float:
        started = time.perf_counter()
        for args, kwargs in self.calls:
            self.function(*args, **kwargs)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["national", "small"], default="national")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "workbench.sqlite3"
        print(f"Building the {options.scale} demo world ...", flush=True)
        built = build_database(database, options.scale)
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutuals.settings")
        import django

        django.setup()
        run(built)


def run(built: float) -> None:
    from mutuals.evaluation import estimates, monitoring, services
    from mutuals.evaluation.services import EvaluationConfig
    from mutuals.returns.models import CurrentObservation

    recorders = {
        "spc": Recorder(monitoring.spc),
        "did": Recorder(estimates.did),
        "synth": Recorder(estimates.synth),
    }
    monitoring.spc = recorders["spc"]
    estimates.did = recorders["did"]
    estimates.synth = recorders["synth"]

    observations = CurrentObservation.objects.count()
    started = time.perf_counter()
    summary = monitoring.run_monitoring()
    monitored = time.perf_counter() - started
    evaluation = services.evaluate(EvaluationConfig())
    product = time.perf_counter() - started
    evaluated = product - monitored

    bare = {name: recorder.replay() for name, recorder in recorders.items()}
    bare_total = sum(bare.values())
    results = evaluation.results.count()
    ratio = product / bare_total

    print(f"World built and loaded in {built:.0f} s; {observations:,} current observations.")
    print()
    print("| stage | product (s) | bare estimator calls | bare (s) |")
    print("|---|---|---|---|")
    print(
        f"| SPC and alerts, every series | {monitored:.1f} | "
        f"{len(recorders['spc'].calls)} spc | {bare['spc']:.1f} |"
    )
    print(
        f"| evaluation: {results} results | {evaluated:.1f} | "
        f"{len(recorders['did'].calls)} did, {len(recorders['synth'].calls)} synth "
        f"with placebos | {bare['did'] + bare['synth']:.1f} |"
    )
    print(f"| **end to end** | **{product:.1f}** | | **{bare_total:.1f}** |")
    print()
    print(f"Alerts: {summary}")
    print(f"Run {evaluation.pk} fingerprint {evaluation.fingerprint[:16]}…")
    verdict = "met" if ratio <= TARGET_OVERHEAD else "NOT met"
    print(
        f"Overhead {ratio:.2f}x the bare estimators (target at most {TARGET_OVERHEAD:.0f}x): {verdict}"
    )
    if ratio > TARGET_OVERHEAD:
        sys.exit(1)


if __name__ == "__main__":
    main()
