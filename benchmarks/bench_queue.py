"""The national evaluation through the task queue: one worker against two.

Builds the national demo world (about 5,000 organisations, 2.4 million observations) in
a scratch PostgreSQL database (or SQLite with --database sqlite), starts N `mutuals
worker` processes, queues an evaluation of every programme and metric as the web page
does, and times it from queuing until the run is gathered. Both sides are warmed alike:
one unmeasured run with each number of workers first, then the measured runs alternate.
Prints each time and the ratio of two workers to one (target: at most 0.65x).

    uv run python benchmarks/bench_queue.py [--database postgres|sqlite] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _postgres import scratch_database

TARGET = 0.65
BENCH_DB = "mutuals_bench_queue"


def mutuals(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "mutuals.cli", *args], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout


QUEUE_A_RUN = """
import django; django.setup()
from mutuals.evaluation.services import EvaluationConfig, create_run, start
run = create_run(EvaluationConfig()); start(run); print(run.pk)
"""
STATUS = "SELECT status, started_at, finished_at, fingerprint FROM evaluation_evaluationrun WHERE id = {run}"


def status(url: str, run: str) -> tuple[str, float, str]:
    """The run's status, seconds and fingerprint, read without starting Django: a poller
    that started Python and Django every second would take a core from the workers."""
    if url.startswith("sqlite:///"):
        import sqlite3
        from datetime import datetime

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            state, started, finished, fingerprint = db.execute(
                STATUS.format(run=int(run))
            ).fetchone()
        seconds = 0.0
        if finished:
            seconds = (
                datetime.fromisoformat(finished) - datetime.fromisoformat(started)
            ).total_seconds()
        return state, seconds, fingerprint
    import psycopg

    with psycopg.connect(url) as db:
        state, started, finished, fingerprint = db.execute(STATUS.format(run=int(run))).fetchone()
    return state, (finished - started).total_seconds() if finished else 0.0, fingerprint


def python(env: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def timed_run(env: dict, workers: int, logs: Path) -> tuple[float, str]:
    """Seconds from the run's start (its steps laid out) to its gathering, by the run's own
    timestamps, so neither the enqueuing nor the polling is counted."""
    command = [sys.executable, "-m", "mutuals.cli", "worker", "--interval", "0.1"]
    with open(logs / "workers.log", "ab") as log:
        children = [
            subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            for _ in range(workers)
        ]
    try:
        time.sleep(3)  # the workers are up and polling before the run is queued
        run = python(env, QUEUE_A_RUN)
        while True:
            time.sleep(0.5)
            state, seconds, fingerprint = status(env["DATABASE_URL"], run)
            if state in ("done", "failed"):
                break
        if state != "done":
            raise SystemExit(f"run {run} failed; see {logs}")
        return seconds, fingerprint
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--scale", choices=["national", "small"], default="national")
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        if options.database == "postgres":
            url = scratch_database(BENCH_DB)
        else:
            url = f"sqlite:///{logs / 'queue.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false",
               "DJANGO_SETTINGS_MODULE": "mutuals.settings", "MUTUALS_DATA_DIR": folder}  # fmt: skip
        try:
            print(f"Building the {options.scale} world on {options.database} ...", flush=True)
            mutuals(env, "migrate", "--verbosity", "0")
            mutuals(env, "demo-data", "--scale", options.scale, "--verbosity", "0")
            for workers in (1, 2):  # warm both sides alike
                timed_run(env, workers, logs)
            times: dict[int, list[float]] = {1: [], 2: []}
            prints = set()
            for _ in range(options.repeat):
                for workers in (1, 2):
                    elapsed, fingerprint = timed_run(env, workers, logs)
                    times[workers].append(elapsed)
                    prints.add(fingerprint)
        finally:
            if options.database == "postgres":
                scratch_database(BENCH_DB, drop_only=True)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print("| workers | runs (s) | median (s) |")
    print("|---|---|---|")
    for workers, runs in times.items():
        print(f"| {workers} | {', '.join(f'{t:.1f}' for t in runs)} | "
              f"{statistics.median(runs):.1f} |")  # fmt: skip
    ratio = two / one
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"Two workers take {ratio:.2f}x one worker's time (target at most {TARGET}x): {verdict}")
    print(f"Fingerprints identical across every run: {len(prints) == 1}")
    if ratio > TARGET or len(prints) != 1:
        sys.exit(1)


if __name__ == "__main__":
    main()
