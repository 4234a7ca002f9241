"""Bulk submission of 100,000 return rows through the API, as JSON and as CSV.

For SQLite and PostgreSQL in turn: a freshly migrated database gets the demo world's
organisations and metric catalogue (the small world unless ``--scale national``), and
a provider manager of every one of those organisations with a submit-returns token.
The API is served by gunicorn as in production (DEBUG off) and sent, over HTTP on
loopback, 100,000 rows (the world's returns, topped up with later quarters if it has
fewer) first as JSON, then again as CSV with changed values, so the second submission
stores a new version of every figure. Each is timed from the request to the response,
with full validation, and printed beside the 20 s target.

    uv run python benchmarks/bench_api.py [--only sqlite|postgres] [--rows 100000]
                                          [--scale small|national]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from _catalogue import setup_catalogue

HERE = Path(__file__).resolve()
POSTGRES = os.environ.get("MUTUALS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DB = "mutuals_bench_api"
TARGET_SECONDS = 20
PORT = 8766


def returns_rows(count: int, scale: str) -> pl.DataFrame:
    """``count`` distinct rows: the world's returns, then its last quarter repeated into
    the quarters after the world ends."""
    from mutuals.demo.world import build_world

    world = build_world(scale)
    identifiers = world.organisations.select(
        "key", pl.coalesce("ods_code", "company_number", "charity_number").alias("identifier")
    )
    rows = world.observations.join(identifiers, left_on="organisation", right_on="key").select(
        pl.col("identifier").alias("organisation"),
        "metric",
        "period",
        "value",
        "numerator",
        "denominator",
    )
    last = rows.filter(pl.col("period") == rows["period"].max())
    year = 2020
    while rows.height < count:
        for quarter in range(1, 5):
            rows = pl.concat(
                [rows, last.with_columns(pl.lit(f"{year}-Q{quarter}").alias("period"))]
            )
        year += 1
    return rows.head(count)


def prepare(database_url: str, scale: str) -> str:
    """Runs in a child process (Django set up for one database): the catalogue, the
    organisations, a provider manager of them all, and their token, which it prints."""
    setup_catalogue(database_url, scale)
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import ApiToken, Role
    from mutuals.registry.models import Organisation

    user = get_user_model().objects.create_user("bench-manager@example.org")
    Role.objects.bulk_create(
        Role(user=user, role="provider_manager", organisation=organisation)
        for organisation in Organisation.objects.all()
    )
    return ApiToken.objects.issue(user, ["submit-returns"], name="benchmark")[1]


def post(token: str, body: bytes, content_type: str) -> tuple[float, int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    headers = {
        "Host": "127.0.0.1",
        "Authorization": f"Bearer {token}",
        "Content-Type": content_type,
    }
    started = time.perf_counter()
    connection.request("POST", "/api/v1/returns", body=body, headers=headers)
    response = connection.getresponse()
    payload = json.loads(response.read())
    return time.perf_counter() - started, response.status, payload


def wait_for_server() -> None:
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/api/v1/metrics", headers={"Host": "127.0.0.1"})
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def run(name: str, database_url: str, folder: str, rows: pl.DataFrame, scale: str) -> list:
    env = {
        **os.environ,
        "MUTUALS_DATA_DIR": folder,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_RATE_LIMIT": "0",
    }
    prepared = subprocess.run(
        [sys.executable, str(HERE), "--scale", scale, "--prepare", database_url],
        env=env,
        capture_output=True,
        text=True,
    )
    if prepared.returncode:
        sys.exit(f"Preparing {name} failed:\n{prepared.stderr}")
    token = prepared.stdout.strip().splitlines()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mutuals.wsgi", "--workers", "1",
         "--bind", f"127.0.0.1:{PORT}", "--timeout", "600", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    results = []
    try:
        wait_for_server()
        as_json = json.dumps({"rows": rows.to_dicts()}).encode()
        resubmitted = rows.with_columns(pl.col("value") * 1.01)
        as_csv = resubmitted.write_csv().encode()
        for label, body, content_type in (
            ("JSON, new figures", as_json, "application/json"),
            ("CSV, new versions", as_csv, "text/csv"),
        ):
            seconds, status, payload = post(token, body, content_type)
            if status != 201 or payload["imported"] != rows.height:
                sys.exit(f"{name} {label}: HTTP {status}: {json.dumps(payload)[:500]}")
            results.append((name, label, len(body), seconds, payload["new_versions"]))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def postgres_database(action: str) -> str:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        if action == "create":
            connection.execute(f"CREATE DATABASE {BENCH_DB}")
    return POSTGRES.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--scale", default="small", choices=["small", "national"])
    parser.add_argument("--prepare", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # run-benchmarks passes every script the same options
    if args.prepare:
        print(prepare(args.prepare, args.scale))
        return
    rows = returns_rows(args.rows, args.scale)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for name in ("sqlite", "postgres"):
            if args.only and name != args.only:
                continue
            if name == "sqlite":
                url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            else:
                url = postgres_database("create")
            try:
                results += run(name, url, folder, rows, args.scale)
            finally:
                if name == "postgres":
                    postgres_database("drop")
    print(f"POST /api/v1/returns with {rows.height:,} rows, gunicorn (1 worker), full validation")
    print(f"{'database':<10}{'body':<20}{'MB':>6}{'seconds':>9}{'rows/s':>10}  target")
    for name, label, size, seconds, _ in results:
        verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
        print(
            f"{name:<10}{label:<20}{size / 1e6:>6.1f}{seconds:>9.2f}"
            f"{rows.height / seconds:>10,.0f}  {TARGET_SECONDS} s: {verdict}"
        )
    if any(seconds >= TARGET_SECONDS for *_, seconds, _ in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
