"""A returns import killed with SIGKILL halfway through leaves nothing behind.

This runs the real ``mutuals`` command in a child process against an SQLite
file, waits until rows are being written (the write-ahead log grows), kills it
without warning and counts what is left.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from .command_world import mutuals, one_provider_world

pytestmark = pytest.mark.slow


def observation_count(database):
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM returns_observation").fetchone()[0]


def test_sigkill_during_import_leaves_the_count_unchanged(tmp_path):
    env = one_provider_world(tmp_path)
    database = tmp_path / "mutuals.sqlite3"

    small = tmp_path / "first.csv"
    big = tmp_path / "big.csv"
    with open(small, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [["organisation", "metric", "period", "value"], ["07000001", "m1", "2001-01", "1"]]
        )
    mutuals(["import-returns", str(small)], env)
    assert observation_count(database) == 1

    with open(big, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["organisation", "metric", "period", "value"])
        for metric in ("m1", "m2", "m3", "m4"):
            for year in range(1000, 5000):
                for month in range(1, 13):
                    writer.writerow(["07000001", metric, f"{year}-{month:02d}", "2.5"])

    child = subprocess.Popen(
        [sys.executable, "-m", "mutuals.cli", "import-returns", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wal = tmp_path / "mutuals.sqlite3-wal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.005)
    assert child.poll() is None, "the import finished before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    assert child.returncode == -signal.SIGKILL
    assert observation_count(database) == 1
