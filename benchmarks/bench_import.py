"""Import throughput of the national world's returns, beside pandas' read_csv + to_sql.

For SQLite and PostgreSQL in turn, the same CSV file (every observation of the
national demo world) is imported by ``mutuals import-returns``'s service, with
full validation and versioning, into a freshly migrated database holding the
world's organisations and metrics; then pandas reads the same file and writes
it with ``DataFrame.to_sql`` into an empty table of the same database. Both are
timed from the file on disk to committed rows.

    uv run python benchmarks/bench_import.py [--scale national|small] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from _catalogue import setup_catalogue

HERE = Path(__file__).resolve()
POSTGRES = os.environ.get("MUTUALS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DB = "mutuals_bench_import"


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


def worker(database_url: str, csv_path: str, scale: str) -> dict:
    """Runs in a child process, so Django is set up for one database only."""
    setup_catalogue(database_url, scale)
    from mutuals.returns.services import import_returns

    started = time.perf_counter()
    report = import_returns(csv_path)
    ours = time.perf_counter() - started

    import pandas

    started = time.perf_counter()
    if database_url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        pandas.read_csv(csv_path).to_sql("pandas_baseline", connection, index=False)
        connection.commit()
        connection.close()
    else:
        from sqlalchemy import create_engine

        engine = create_engine(database_url.replace("postgres://", "postgresql+psycopg://", 1))
        pandas.read_csv(csv_path).to_sql("pandas_baseline", engine, index=False)
        engine.dispose()
    baseline = time.perf_counter() - started
    return {
        "rows": report.imported,
        "ours": ours,
        "pandas": baseline,
        "copy": database_copy(database_url),
    }


def database_copy(database_url: str) -> float:
    """Seconds for the database alone to copy the imported rows into an empty table of the
    same shape (the same columns and unique indexes), committed: what no importer of this
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
            statements = [
                sql.replace('"returns_observation"', '"copy_observation"')
                .replace('"one_row_per_version"', '"copy_one_row_per_version"')
                .replace('"one_current_version"', '"copy_one_current_version"')
                for (sql,) in cursor.fetchall()
            ]
        else:
            statements = ["CREATE TABLE copy_observation (LIKE returns_observation INCLUDING ALL)"]
        for sql in statements:
            cursor.execute(sql)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -262144")
        cursor.execute(
            f"INSERT INTO copy_observation ({columns}) "
            f"SELECT {columns} FROM returns_observation ORDER BY id"
        )
    return time.perf_counter() - started


def postgres_database() -> str:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")
    return POSTGRES.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="national", choices=["national", "small"])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--worker", nargs=2, metavar=("DATABASE_URL", "CSV"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.scale)))
        return
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "returns.csv"
        rows = write_returns_csv(args.scale, csv_path)
        print(
            f"Import of the {args.scale} world's returns: {rows:,} rows, "
            f"{csv_path.stat().st_size / 1e6:.0f} MB of CSV"
        )
        print(
            f"{'database':<11}{'mutuals rows/s':>16}{'pandas rows/s':>16}{'ratio':>8}"
            f"{'copy rows/s':>14}{'ratio':>8}"
        )
        targets = {"sqlite": f"sqlite:///{folder}/bench.sqlite3", "postgres": None}
        for name, url in targets.items():
            if args.only and name != args.only:
                continue
            url = url or postgres_database()
            env = {**os.environ, "MUTUALS_DATA_DIR": folder}
            output = subprocess.run(
                [sys.executable, str(HERE), "--scale", args.scale, "--worker", url, str(csv_path)],
                env=env,
                capture_output=True,
                text=True,
            )
            if output.returncode:
                sys.exit(f"The {name} run failed:\n{output.stderr}")
            output = output.stdout
            result = json.loads(output.strip().splitlines()[-1])
            if name == "postgres":
                drop_postgres_database()
            ours = result["rows"] / result["ours"]
            pandas_rate = rows / result["pandas"]
            copy_rate = result["rows"] / result["copy"]
            print(
                f"{name:<11}{ours:>16,.0f}{pandas_rate:>16,.0f}{ours / pandas_rate:>7.2f}x"
                f"{copy_rate:>14,.0f}{copy_rate / pandas_rate:>7.2f}x"
            )
    print("Target: at least 3x pandas, with full validation.")
    print(
        "copy: the database itself copying the imported rows into an empty table with the "
        "same\ncolumns and unique indexes (no file, no validation), the most any importer "
        "of this\nschema could reach."
    )


if __name__ == "__main__":
    main()
