"""A big import on SQLite writes in a rollback journal when it has the database to itself,
and what others see meanwhile.

Each test runs the real ``mutuals`` command in a child process against an SQLite file, and
watches it from this process as the site's other connections would (set up as every
Mutuals connection is, by :func:`mutuals.operations.sqlite.prepare`).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from mutuals.operations.sqlite import prepare
from mutuals.returns.loading import BULK_ROWS

from .command_world import mutuals, one_provider_world

pytestmark = pytest.mark.slow

YEARS = range(1000, 1000 + BULK_ROWS // 48 + 100)  # four metrics, twelve months a year
BIG = 4 * len(YEARS) * 12


def start(args, env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mutuals.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


# The import as the command runs it, held after copying its rows and before its commit
# until the test says go, so that what others see meanwhile is seen every time.
HELD = """
import os, sys, time
import django
django.setup()
from mutuals.returns import loading, services
copy = loading._load_sqlite
def held(*args):
    copied = copy(*args)
    open(sys.argv[2], "w").close()
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.005)
    return copied
loading._load_sqlite = held
services.import_returns(sys.argv[1], source="cli")
"""


def start_held(world) -> tuple[subprocess.Popen, object, object]:
    """The big import, started; the files it makes once held and the test makes to let go."""
    held, go = world.database.with_name("held"), world.database.with_name("go")
    child = subprocess.Popen(
        [sys.executable, "-c", HELD, str(world.big), str(held), str(go)],
        env=world.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(held.exists, child, "the rows were copied")
    return child, held, go


def site_connection(database) -> sqlite3.Connection:
    raw = sqlite3.connect(database, isolation_level=None, timeout=20)
    prepare(None, SimpleNamespace(vendor="sqlite", connection=raw))
    return raw


def observations(raw) -> int:
    return raw.execute("SELECT count(*) FROM returns_observation").fetchone()[0]


def wait_for(condition, child, what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert child.poll() is None, f"the import ended before {what}: {child.stderr.read()}"
        assert time.monotonic() < deadline, f"waited two minutes for {what}"
        time.sleep(0.002)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A migrated database with one provider and four metrics, and the files to import."""
    folder = tmp_path_factory.mktemp("bulk-journal")
    env = one_provider_world(folder)
    small = folder / "first.csv"
    with open(small, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [["organisation", "metric", "period", "value"], ["07000001", "m1", "1000-01", "1"]]
        )
    big = folder / "big.csv"
    with open(big, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["organisation", "metric", "period", "value"])
        for metric in ("m1", "m2", "m3", "m4"):
            for year in YEARS:
                for month in range(1, 13):
                    writer.writerow(["07000001", metric, f"{year:04d}-{month:02d}", "2.5"])
    return SimpleNamespace(folder=folder, env=env, small=small, big=big)


@pytest.fixture
def world(template, tmp_path):
    """A copy of the template's database, in a data folder of its own (and its secret key,
    which seals nothing here but is read at start-up)."""
    for name in ("mutuals.sqlite3", "secret_key"):
        if (template.folder / name).exists():
            shutil.copy2(template.folder / name, tmp_path / name)
    return SimpleNamespace(
        env={**template.env, "MUTUALS_DATA_DIR": str(tmp_path)},
        database=tmp_path / "mutuals.sqlite3",
        journal=tmp_path / "mutuals.sqlite3-journal",
        small=template.small,
        big=template.big,
    )


def test_a_big_import_alone_uses_a_rollback_journal_and_others_keep_reading(world):
    mutuals(["import-returns", str(world.small)], world.env)
    # No connection is opened here until the import has copied its rows: it could not
    # leave WAL with one open.
    child, _, go = start_held(world)

    assert world.journal.exists()
    during = site_connection(world.database)  # asking for WAL fails now: it must not raise
    assert during.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert observations(during) == 1  # what was committed before the import
    during.close()
    go.touch()

    assert child.wait(timeout=300) == 0, child.stderr.read()
    after = site_connection(world.database)
    assert after.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert observations(after) == 1 + BIG


def test_a_big_import_beside_an_open_connection_stays_in_the_write_ahead_log(world):
    mutuals(["import-returns", str(world.small)], world.env)
    reader = site_connection(world.database)
    assert observations(reader) == 1
    child = start(["import-returns", str(world.big)], world.env)
    seen = set()
    while child.poll() is None:
        seen.add(world.journal.exists())
        assert observations(reader) in (1, 1 + BIG)  # never waits long, never fails
        time.sleep(0.002)
    assert child.returncode == 0, child.stderr.read()
    assert seen == {False}
    assert observations(reader) == 1 + BIG
    assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_big_import_killed_in_its_rollback_journal_leaves_nothing(world):
    mutuals(["import-returns", str(world.small)], world.env)
    child, _, _ = start_held(world)  # every row copied, none committed
    assert world.journal.exists()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    assert child.returncode == -signal.SIGKILL
    assert observations(site_connection(world.database)) == 1
    mutuals(["import-returns", str(world.big)], world.env)  # and the next import goes in
    after = site_connection(world.database)
    assert observations(after) == 1 + BIG
    assert after.execute("PRAGMA journal_mode").fetchone() == ("wal",)
