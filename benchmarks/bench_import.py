"""Import throughput of the national world's returns, beside pandas' read_csv + to_sql.

The same CSV file (every observation of the national demo world) is imported into a
freshly made database holding the world's organisations and metrics but no returns, on
SQLite and on PostgreSQL, two ways:

* in-process: one Python process with Django set up times ``import_returns`` (the
  service ``mutuals import-returns`` runs: reading, full validation, versioning, one
  transaction) from the file on disk to committed rows, and then
  ``pandas.read_csv(...).to_sql(...)`` of the same file into a new table of the same
  database. Both sides are warmed alike first: each reads, validates (ours) and writes a
  1,000-row file into a throwaway table, loading every module and driver it needs.
* whole processes: ``mutuals import-returns FILE`` (the installed command) against a
  Python script running ``pandas.read_csv(FILE).to_sql(...)``, each a fresh process on a
  fresh copy of the same catalogue-only database, timed from start to exit, as people
  run them. One untimed run of each comes first (the operating system's caches), then
  ``--repeat`` runs of each, the order alternating.

Before each timed side, in both ways, the disks are synced (``os.sync``): writing the CSV
file and copying the database leave dirty pages, and whichever side ran first would
otherwise pay for writing them back (in its commit's sync, for an importer that syncs).
Then the side waits (up to 30 s) for a quiet machine: processors nine-tenths idle, not
waiting on the disk, over half a second. Run after other benchmarks (``make bench``), a
PostgreSQL checkpoint or vacuum they left could otherwise fall on one side's run and not
the other's; the longest wait is printed.

Beside both, the database's own durable copy of the imported rows into an empty table of
the same shape (the same columns and unique indexes; on SQLite in the journal a big import
uses, with the same cache): the most any importer of this schema could reach on this
machine.

Targets (issue 17): on SQLite at least 2x pandas, on PostgreSQL at least 3x, each both
in-process and as whole processes (every whole-process run's ratio is held to it). The
script exits with status 1 if any is missed.

    uv run python benchmarks/bench_import.py [--scale national|small] [--only sqlite|postgres]
        [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve()
POSTGRES = os.environ.get("MUTUALS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DB = "mutuals_bench_import"
TEMPLATE_DB = "mutuals_bench_import_catalogue"
TARGETS = {"sqlite": 2.0, "postgres": 3.0}
WARM_ROWS = 1000

# The baseline as people write it: one line of pandas, in its own process.
PANDAS_SCRIPT = """
import sys
import pandas

url, csv_path = sys.argv[1], sys.argv[2]
if url.startswith("sqlite"):
    import sqlite3

    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    pandas.read_csv(csv_path).to_sql("pandas_baseline", connection, index=False)
    connection.commit()
    connection.close()
else:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgres://", "postgresql+psycopg://", 1))
    pandas.read_csv(csv_path).to_sql("pandas_baseline", engine, index=False)
    engine.dispose()
"""


def write_returns_csv(scale: str, path: Path) -> int:
    from mutuals.demo.world import build_world

    world = build_world(scale)
    identifiers = world.organisations.select(
        pl.col("key").alias("organisation_key"),
        pl.coalesce("ods_code", "company_number", "charity_number").alias("organisation_id_text"),
    )
    frame = world.observations.join(
        identifiers, left_on="organisation", right_on="organisation_key"
    ).select(
        pl.col("organisation_id_text").alias("organisation"),
        "metric",
        "period",
        "value",
        "numerator",
        "denominator",
    )
    frame.write_csv(path)
    return frame.height


def quiet(*, idle: float = 0.9, window: float = 0.5, patience: float = 30.0) -> float:
    """Wait until the processors are ``idle`` idle (time waiting on the disk counts as busy)
    over ``window`` seconds, for at most ``patience`` seconds; the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < patience:
        before = _cpu_times()
        time.sleep(window)
        spare, total = (after - first for after, first in zip(_cpu_times(), before, strict=True))
        if total and spare / total >= idle:
            break
    return time.monotonic() - started


def _cpu_times() -> tuple[int, int]:
    """The processors' idle time and total time so far, in clock ticks (Linux)."""
    with open("/proc/stat") as stat:
        fields = [int(number) for number in stat.readline().split()[1:]]
    return fields[3], sum(fields[:8])  # idle; user … steal (guest time is within user)


def settle() -> float:
    """Before a timed side: dirty pages written back, then a quiet machine (see the module's
    note); the seconds waited for quiet."""
    os.sync()
    return quiet()


# Child processes ---------------------------------------------------------------------


def catalogue(database_url: str, scale: str) -> dict:
    """Runs in a child process: migrate and fill the catalogue-only database."""
    from _catalogue import setup_catalogue

    setup_catalogue(database_url, scale)
    return {}


def in_process(database_url: str, csv_path: str, scale: str) -> dict:
    """Runs in a child process, Django set up on one catalogue-only database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mutuals.settings"
    import django

    django.setup()
    import pandas

    from mutuals.returns.services import import_returns

    small = Path(csv_path).with_name("warm.csv")
    pl.read_csv(csv_path, n_rows=WARM_ROWS, infer_schema_length=0).write_csv(small)
    _warm_ours(small)
    _pandas_load(pandas, database_url, str(small), "pandas_warm")

    waited = [settle()]
    started = time.perf_counter()
    report = import_returns(csv_path)
    ours = time.perf_counter() - started

    waited.append(settle())
    started = time.perf_counter()
    _pandas_load(pandas, database_url, csv_path, "pandas_baseline")
    baseline = time.perf_counter() - started
    return {
        "rows": report.imported,
        "ours": ours,
        "pandas": baseline,
        "copy": database_copy(database_url),
        "waited": max(waited),
    }


def _warm_ours(small: Path) -> None:
    """Everything ``import_returns`` loads on first use, without writing the table: the
    reader, the validation and the bulk loader's writer (ADBC on SQLite, COPY on
    PostgreSQL) into a throwaway table."""
    from django.db import connection

    from mutuals.returns import loading
    from mutuals.returns.services import lookups
    from mutuals.returns.tables import read_table
    from mutuals.returns.validation import validate

    valid = validate(read_table(small), lookups()).valid.select(loading.COLUMNS)
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            scratch = Path(folder) / "warm.sqlite3"
            loading._create_scratch(scratch)
            ordered = loading._in_index_order(valid)
            labels = ordered.get_column("period").unique()
            loading._write_scratch(scratch, loading._staged(ordered, labels))
    else:
        columns = ",".join(loading._INSERT_COLUMNS)
        frame = valid.with_columns(
            pl.lit(1).alias("version"),
            pl.lit(True).alias("is_current"),
            pl.lit(0).alias("submission_id"),
        )
        data = frame.select(loading._INSERT_COLUMNS).write_csv(include_header=False, null_value="")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE warm_observation AS SELECT {columns} "
                "FROM returns_observation WITH NO DATA"
            )
            with cursor.cursor.copy(
                f"COPY warm_observation ({columns}) FROM STDIN WITH (FORMAT csv, NULL '')"
            ) as copy:
                copy.write(data)
            cursor.execute("DROP TABLE warm_observation")


def _pandas_load(pandas, database_url: str, csv_path: str, table: str) -> None:
    if database_url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        pandas.read_csv(csv_path).to_sql(table, connection, index=False)
        connection.commit()
        connection.close()
    else:
        from sqlalchemy import create_engine

        engine = create_engine(database_url.replace("postgres://", "postgresql+psycopg://", 1))
        pandas.read_csv(csv_path).to_sql(table, engine, index=False)
        engine.dispose()


def database_copy(database_url: str) -> float:
    """Seconds for the database alone to copy the imported rows into an empty table of the
    same shape (the same columns and indexes), committed: what no importer of this
    schema, with or without validation, can beat on this machine."""
    from django.db import connection, transaction

    columns = (
        "organisation_id, metric_id, period, period_start, period_kind, value, numerator, "
        "denominator, version, is_current, submission_id"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'returns_observation' "
                "AND sql IS NOT NULL ORDER BY type DESC"
            )
            # Every index of the table, each under a name of its own.
            statements = [
                re.sub(r'(INDEX\s+)"([^"]+)"', r'\1"copy_\2"', sql).replace(
                    '"returns_observation"', '"copy_observation"'
                )
                for (sql,) in cursor.fetchall()
            ]
        else:
            statements = ["CREATE TABLE copy_observation (LIKE returns_observation INCLUDING ALL)"]
        for sql in statements:
            cursor.execute(sql)
    from mutuals.returns.loading import bulk_journal, cache_kib

    settle()
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        # As a big import copies: synced in full, in the rollback journal, with room for
        # the new pages in the cache.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = FULL")
        journal = bulk_journal()
    else:
        journal = contextlib.nullcontext()
    with journal, transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM returns_observation")
            (rows,) = cursor.fetchone()
            cursor.execute(f"PRAGMA cache_size = -{cache_kib(rows)}")
        cursor.execute(
            f"INSERT INTO copy_observation ({columns}) "
            f"SELECT {columns} FROM returns_observation ORDER BY id"
        )
    return time.perf_counter() - started


# Databases ---------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(sql)


def _postgres_url(name: str) -> str:
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


class Databases:
    """A catalogue-only database made once, and fresh copies of it for each run."""

    def __init__(self, name: str, folder: Path, scale: str) -> None:
        self.name, self.folder = name, folder
        if name == "sqlite":
            self.template = f"sqlite:///{folder / 'catalogue.sqlite3'}"
        else:
            _admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
            _admin(f"CREATE DATABASE {TEMPLATE_DB}")
            self.template = _postgres_url(TEMPLATE_DB)
        child("--catalogue", self.template, "-", scale=scale, folder=folder)

    def fresh(self) -> str:
        """A new copy of the catalogue-only database; its URL."""
        if self.name == "sqlite":
            target = self.folder / "run.sqlite3"
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.template.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        _admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        _admin(f"CREATE DATABASE {BENCH_DB} TEMPLATE {TEMPLATE_DB}")
        return _postgres_url(BENCH_DB)

    def drop(self) -> None:
        if self.name == "postgres":
            _admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            _admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")


def child(mode: str, url: str, csv_path: str, *, scale: str, folder: Path) -> dict:
    env = {**os.environ, "MUTUALS_DATA_DIR": str(folder)}
    command = [sys.executable, str(HERE), "--scale", scale, mode, url, csv_path]
    output = subprocess.run(command, env=env, capture_output=True, text=True)
    if output.returncode:
        sys.exit(f"{mode} {url} failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def whole_process(command: list[str], env: dict, waited: list[float]) -> float:
    waited.append(settle())  # the fresh database's copy written back, and a quiet machine
    started = time.perf_counter()
    output = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if output.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{output.stderr}")
    return seconds


def processes(databases: Databases, csv_path: Path, folder: Path, repeat: int) -> dict:
    """``mutuals import-returns`` and the pandas script, each as a whole process on a fresh
    copy of the catalogue database: one untimed run of each, then ``repeat`` of each."""
    mutuals = str(Path(sys.executable).with_name("mutuals"))
    if not Path(mutuals).exists():
        mutuals = shutil.which("mutuals") or sys.exit("the mutuals command is not installed")
    script = folder / "pandas_import.py"
    script.write_text(PANDAS_SCRIPT)
    env = {**os.environ, "MUTUALS_DATA_DIR": str(folder)}
    waited: list[float] = []

    def ours() -> float:
        url = databases.fresh()
        return whole_process(
            [mutuals, "import-returns", str(csv_path)], {**env, "DATABASE_URL": url}, waited
        )

    def theirs() -> float:
        url = databases.fresh()
        return whole_process([sys.executable, str(script), url, str(csv_path)], env, waited)

    ours(), theirs()  # untimed: the operating system's caches, both sides alike
    times: dict[str, list[float]] = {"ours": [], "pandas": [], "waited": []}
    for run in range(repeat):
        sides = [("ours", ours), ("pandas", theirs)]
        for name, side in sides if run % 2 == 0 else reversed(sides):
            times[name].append(side())
    times["waited"] = waited[2:]  # the timed runs'
    return times


# Report ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="national", choices=["national", "small"])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--repeat", type=int, default=3, help="timed whole-process runs, each")
    parser.add_argument("--catalogue", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--in-process", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.catalogue:
        print(json.dumps(catalogue(args.catalogue[0], args.scale)))
        return
    if args.in_process:
        print(json.dumps(in_process(*args.in_process, args.scale)))
        return

    missed: list[str] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv_path = folder / "returns.csv"
        rows = write_returns_csv(args.scale, csv_path)
        print(
            f"Import of the {args.scale} world's returns: {rows:,} rows, "
            f"{csv_path.stat().st_size / 1e6:.0f} MB of CSV; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} processors"
        )
        for database in ("sqlite", "postgres"):
            if args.only and database != args.only:
                continue
            databases = Databases(database, folder, args.scale)
            try:
                url = databases.fresh()
                result = child("--in-process", url, str(csv_path), scale=args.scale, folder=folder)
                times = processes(databases, csv_path, folder, args.repeat)
            finally:
                databases.drop()
            missed += report(database, rows, result, times)
    if missed:
        print(f"\nMISSED: {'; '.join(missed)}")
        sys.exit(1)
    print("\nall import targets met")


def report(database: str, rows: int, result: dict, times: dict) -> list[str]:
    target = TARGETS[database]
    missed = []
    if result["rows"] != rows:
        missed.append(f"{database}: imported {result['rows']:,} of {rows:,} rows")
    ratio = result["pandas"] / result["ours"]
    copy_ratio = result["pandas"] / result["copy"]
    verdict = "met" if ratio >= target else "NOT met"
    if ratio < target:
        missed.append(f"{database} in-process {ratio:.2f}x")
    print(
        f"\n{database}, in-process (warmed alike; from the file to committed rows; "
        f"waited up to {result['waited']:.1f} s for a quiet machine)"
    )
    print(
        f"  mutuals {result['ours']:6.2f} s ({rows / result['ours']:>10,.0f} rows/s)   "
        f"pandas {result['pandas']:6.2f} s ({rows / result['pandas']:>10,.0f} rows/s)   "
        f"ratio {ratio:.2f}x (target >= {target:.0f}x): {verdict}"
    )
    print(
        f"  the database's own copy of the rows {result['copy']:.2f} s: "
        f"{copy_ratio:.2f}x pandas, the bound for any importer of this schema"
    )
    print(
        f"{database}, whole processes (mutuals import-returns vs a pandas script; waited up "
        f"to {max(times['waited'], default=0):.1f} s for a quiet machine before a run)"
    )
    ratios = [p / o for o, p in zip(times["ours"], times["pandas"], strict=True)]
    for run, (o, p, r) in enumerate(zip(times["ours"], times["pandas"], ratios, strict=True), 1):
        print(f"  run {run}: mutuals {o:6.2f} s   pandas {p:6.2f} s   ratio {r:.2f}x")
    worst = min(ratios)
    verdict = "met" if worst >= target else "NOT met"
    if worst < target:
        missed.append(f"{database} whole processes {worst:.2f}x")
    print(
        f"  median mutuals {statistics.median(times['ours']):.2f} s, pandas "
        f"{statistics.median(times['pandas']):.2f} s; worst ratio {worst:.2f}x "
        f"(target >= {target:.0f}x in every run): {verdict}"
    )
    return missed


if __name__ == "__main__":
    main()
