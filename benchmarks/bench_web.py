"""Latency of the pages commissioners and auditors open first, under 10 concurrent clients.

Builds the demo world (national by default: about 5,300 organisations and 2.4 million
observations; ``--scale small`` for a quick run), monitored and evaluated, on SQLite and
on PostgreSQL in turn, and serves it with gunicorn as in production (3 workers, DEBUG
off, Redis as the cache when one answers). Then, signed in as an auditor and as a
commissioner (accounts and sessions made in the database), 10 client threads with
keep-alive connections ask for one kind of page at a time:

* the portfolio dashboard, ``/portfolio/``
* a spin-out provider's scorecard and its organisation page: spin-outs only (providers
  with a spin-out date, about 57 of the national world's 5,300 organisations, the
  pages with the most behind them), drawn at random for each request; a commissioner
  asks for the spin-outs it commissions
* the evaluation run page (the latest finished run) and the contracts list
* every open-data download the open-data page links to, drawn at random (each
  download's percentiles are printed and held to the target)

Before any timing every page the clients may draw (each spin-out's two pages, every
download) is asked for once by each role and must answer 200 with the signed-in page (a
redirect to sign in would measure nothing): a served site's pages have been opened before,
and the first opening of a page after its data changes (100-150 ms on the national world)
is kept for the next (mutuals.web.kept). Then a warm-up of ``--warm`` seconds runs the
whole mix from 10 clients, on every database alike.

Prints p50/p95/p99 per page, role and database beside the targets of issue 17: p95
under 300 ms for the five pages, under 1 s for every open-data download. Exits with
status 1 if any is missed or any request failed.

The built world is kept (SQLite: the file and data folder; PostgreSQL: a template
database) keyed by the scale and a digest of the source tree, so a second run of the same
code starts in seconds; ``--rebuild`` builds afresh.

    uv run python benchmarks/bench_web.py [--scale national|small] [--seconds 20]
        [--only sqlite|postgres] [--rebuild | --reuse]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _postgres import POSTGRES
from _served import Tally, environment, gunicorn, mutuals, percentiles

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 10
PORT = 8765
PAGE_TARGET_MS = 300
DOWNLOAD_TARGET_MS = 1000
CACHE = Path(tempfile.gettempdir()) / "mutuals-bench-web"
PAGES = ("portfolio dashboard", "spin-out scorecard", "spin-out organisation",
         "evaluation run", "contracts list", "open-data downloads")  # fmt: skip

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count, Q
from mutuals.accounts.models import Role
from mutuals.contracts.models import Contract
from mutuals.evaluation.models import EvaluationRun
from mutuals.registry.models import Organisation
from mutuals.returns.models import Observation

def session_for(user):
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "mutuals.accounts.backends.AccountBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key

users = get_user_model().objects
auditor = users.create_user("bench-auditor@example.org", password=None)
Role.objects.create(user=auditor, role="auditor")
spin_outs = set(
    Organisation.objects.filter(kind="provider", spinout_date__isnull=False)
    .values_list("pk", flat=True)
)
# The commissioner who commissions the most spin-outs: its own spin-outs are the
# scorecards it opens.
busiest = (
    Organisation.objects.filter(kind="commissioner")
    .annotate(n=Count("contracts_commissioned__provider", distinct=True,
                      filter=Q(contracts_commissioned__provider__in=spin_outs)))
    .order_by("-n", "pk").first()
)
commissioner = users.create_user("bench-commissioner@example.org", password=None)
Role.objects.create(user=commissioner, role="commissioner", organisation=busiest)
own = set(
    Contract.objects.filter(commissioners=busiest).values_list("provider", flat=True)
) & spin_outs
run = EvaluationRun.objects.filter(status="done").order_by("-pk").first()
print(json.dumps({
    "auditor": session_for(auditor),
    "commissioner": session_for(commissioner),
    "spin_outs": sorted(spin_outs),
    "commissioned": sorted(own),
    "organisations": Organisation.objects.count(),
    "observations": Observation.objects.count(),
    "run": run.pk if run else None,
}))
"""


# The world, built once per code version ------------------------------------------------


def code_version() -> str:
    """A digest of the source tree (and this benchmark): a new one means a new world."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    for name in ("pyproject.toml", "uv.lock"):
        if (ROOT / name).exists():
            digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(sql)


def _databases_named(prefix: str) -> list[str]:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
        ).fetchall()
    return [name for (name,) in rows]


def world(folder: Path, database: str, scale: str, rebuild: bool, reuse: bool = False) -> dict:
    """An environment serving a fresh copy of the built world from ``folder``: the one
    built by this code, or with ``reuse`` the newest one built by any code (migrated
    forward), for measuring a change to pages without building the world again."""
    key = f"{scale}-{database}-{code_version()}"
    kept = CACHE / key
    if reuse and not (kept / "built").exists():
        earlier = sorted(CACHE.glob(f"{scale}-{database}-*/built"), key=os.path.getmtime)
        if earlier:
            kept = earlier[-1].parent
            key = kept.name
            print(f"Reusing the {scale} world built by earlier code: {kept}", flush=True)
    template = f"mutuals_bench_web_{scale}_{key.rsplit('-', 1)[1]}"
    env = environment(str(folder), database)  # on PostgreSQL, an empty scratch database
    if rebuild or not (kept / "built").exists():
        shutil.rmtree(kept, ignore_errors=True)
        for old in CACHE.glob(f"{scale}-{database}-*"):
            shutil.rmtree(old, ignore_errors=True)  # other code versions' worlds
        if database == "postgres":
            for name in _databases_named(f"mutuals_bench_web_{scale}_"):
                _admin(f"DROP DATABASE IF EXISTS {name}")
        build(env, scale)
        kept.mkdir(parents=True)
        shutil.copytree(folder, kept / "data", dirs_exist_ok=True, ignore=_volatile)
        if database == "postgres":
            _admin(f"CREATE DATABASE {template} TEMPLATE mutuals_bench_served")
        (kept / "built").write_text(key)
        shutil.rmtree(folder)
        folder.mkdir()
    else:
        print(f"The {scale} world for this code was built before: {kept}", flush=True)
    started = time.perf_counter()
    shutil.copytree(kept / "data", folder, dirs_exist_ok=True)
    if database == "postgres":
        _admin("DROP DATABASE IF EXISTS mutuals_bench_served")
        _admin(f"CREATE DATABASE mutuals_bench_served TEMPLATE {template}")
    mutuals(env, "migrate", "--verbosity", "0")  # nothing to do unless the code moved on
    print(f"Copied the world in {time.perf_counter() - started:.0f} s", flush=True)
    return env


def _volatile(directory: str, names: list[str]) -> list[str]:
    """What is not part of the built world: caches and scratch files."""
    return [n for n in names if n in {"cache", "scratch"} or n.endswith(("-wal", "-shm"))]


def build(env: dict, scale: str) -> None:
    started = time.perf_counter()
    mutuals(env, "migrate", "--verbosity", "0")
    mutuals(env, "demo-data", "--scale", scale)
    mutuals(env, "collectstatic", "--noinput", "--verbosity", "0")
    mutuals(env, "monitor")
    mutuals(env, "evaluate", "--quiet")
    if env["DATABASE_URL"].startswith("sqlite"):  # one file to copy, nothing in a log
        path = env["DATABASE_URL"].removeprefix("sqlite:///")
        import sqlite3

        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"Built the {scale} world in {time.perf_counter() - started:.0f} s", flush=True)


# Clients ------------------------------------------------------------------------------


@dataclass
class Roles:
    auditor: str
    commissioner: str
    spin_outs: list[int]
    commissioned: list[int]
    run: int | None


def get(connection, path: str, session: str) -> tuple[int, bytes, dict]:
    headers = {"Host": "127.0.0.1", "Cookie": f"sessionid={session}"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    return response.status, body, dict(response.getheaders())


def downloads(session: str) -> list[str]:
    """Every download the open-data page links to."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    status, body, _ = get(connection, "/open-data/", session)
    if status != 200:
        raise SystemExit(f"/open-data/ answered {status}")
    found = re.findall(r'href="(/open-data/[^"/]+\.[a-z.]+)"', body.decode())
    if not found:
        raise SystemExit("the open-data page links to no downloads")
    return sorted(set(found))


def chooser(page: str, roles: Roles, who: str, files: list[str]):
    """A function of a random generator: the path of the next request for ``page``."""
    own = roles.spin_outs if who == "auditor" else roles.commissioned
    if page in ("spin-out scorecard", "spin-out organisation") and not own:
        raise SystemExit(f"the {who} has no spin-out to open")
    suffix = "scorecard/" if page == "spin-out scorecard" else ""
    fixed = {
        "portfolio dashboard": "/portfolio/",
        "evaluation run": f"/evaluation/{roles.run}/",
        "contracts list": "/contracts/",
    }
    if page in fixed:
        return lambda rng: fixed[page]
    if page == "open-data downloads":
        return lambda rng: rng.choice(files)
    return lambda rng: f"/organisations/{rng.choice(own)}/{suffix}"


def every_page(roles: Roles, who: str) -> list[str]:
    """Every page the clients may draw for the role (the downloads apart)."""
    own = roles.spin_outs if who == "auditor" else roles.commissioned
    spin_outs = [f"/organisations/{pk}/{suffix}" for pk in own for suffix in ("", "scorecard/")]
    return ["/portfolio/", f"/evaluation/{roles.run}/", "/contracts/", *spin_outs]


def preflight(paths: list[str], session: str, who: str) -> list[str]:
    """Each path must answer 200 for the role, signed in (the page names the sign-out);
    the paths that do not, each with what it answered."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    broken = []
    for path in paths:
        status, body, headers = get(connection, path, session)
        html = headers.get("Content-Type", "").startswith("text/html")
        if status != 200:
            broken.append(f"{path} answered {status} to the {who}")
        elif html and b"sign-out" not in body.lower() and b"sign out" not in body.lower():
            raise SystemExit(f"{path} did not show the {who} signed in: it would measure nothing")
    return broken


def drive(session: str, choose, seconds: float, least: int, tally: Tally, kind=None) -> None:
    """``CLIENTS`` threads for ``seconds`` (and until ``least`` requests are in): each asks
    for ``choose(rng)`` on its own keep-alive connection; latency by path or ``kind``."""
    until = time.perf_counter() + seconds
    deadline = until + 10 * seconds
    done = [0]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
        while True:
            now = time.perf_counter()
            if now > deadline or (now > until and done[0] >= least):
                return
            path = choose(rng)
            started = time.perf_counter()
            try:
                status, _, _ = get(connection, path, session)
            except (OSError, http.client.HTTPException) as error:
                tally.errors.append((path, repr(error)))
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
                continue
            tally.add(kind or path, time.perf_counter() - started)
            with tally.lock:
                done[0] += 1
            if status != 200:
                tally.errors.append((path, status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# Report -------------------------------------------------------------------------------


def measure(database: str, roles: Roles, args) -> list[str]:
    sessions = {"auditor": roles.auditor, "commissioner": roles.commissioner}
    files = downloads(roles.auditor)
    choosers = {(page, who): chooser(page, roles, who, files) for page in PAGES for who in sessions}
    broken = []
    for who, session in sessions.items():
        broken += preflight([*every_page(roles, who), *files], session, who)
    if any(not path.startswith("/open-data/") for path in broken):
        raise SystemExit(f"{database}: pages that fail cannot be measured: {broken}")
    if broken:  # a broken download is reported as missed; the others are still measured
        print(f"{database}: failing downloads, left out of the timing: {broken}", flush=True)
        files = [f for f in files if not any(b.startswith(f + " ") for b in broken)]
        choosers = {
            (page, who): chooser(page, roles, who, files) for page in PAGES for who in sessions
        }

    def everything(who):
        kinds = [choosers[page, who] for page in PAGES]
        return lambda rng: rng.choice(kinds)(rng)

    for who, session in sessions.items():  # the same warm-up on every database
        drive(session, everything(who), args.warm, 0, Tally())

    print(f"\n{database}: {CLIENTS} concurrent clients, gunicorn 3 workers, {args.seconds:.0f} s "
          f"(and at least {args.least} requests) per row; {len(roles.spin_outs)} spin-outs, "
          f"{len(roles.commissioned)} commissioned by the commissioner; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} processors")  # fmt: skip
    print(f"{'page':<40}{'who':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'target':>10}  verdict")  # fmt: skip
    missed = [f"{database} {b}" for b in broken]
    for page in PAGES:
        for who, session in sessions.items():
            tally = Tally()
            kind = None if page == "open-data downloads" else page
            # Each download drawn about --least times, so each has percentiles of its own.
            least = args.least * (len(files) if kind is None else 1)
            drive(session, choosers[page, who], args.seconds, least, tally, kind)
            if tally.errors:
                missed.append(f"{database} {page} {who}: {len(tally.errors)} failed requests")
                print(f"  {len(tally.errors)} failed requests, first: {tally.errors[:3]}")
            rows = sorted(tally.latencies.items()) if kind is None else [(page, tally.all())]
            target = DOWNLOAD_TARGET_MS if kind is None else PAGE_TARGET_MS
            for name, latencies in rows:
                p50, p95, p99 = percentiles(latencies)
                met = p95 < target
                if not met:
                    missed.append(f"{database} {name} {who} p95 {p95:.0f} ms")
                print(f"{name:<40}{who:<14}{len(latencies):>9}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}"
                      f"{'< ' + str(target):>10}  {'met' if met else 'NOT met'}")  # fmt: skip
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="national", choices=["national", "small"])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--seconds", type=float, default=20, help="per page and role")
    parser.add_argument(
        "--least", type=int, default=30, help="requests per page (each download), at least"
    )
    parser.add_argument("--warm", type=float, default=10, help="seconds of warm-up per role")
    parser.add_argument("--rebuild", action="store_true", help="build the world afresh")
    parser.add_argument(
        "--reuse", action="store_true",
        help="serve the newest world built by earlier code, migrated forward (while working)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args()
    globals()["PORT"] = args.port
    missed: list[str] = []
    for database in ("sqlite", "postgres"):
        if args.only and database != args.only:
            continue
        with tempfile.TemporaryDirectory() as name:
            env = world(Path(name), database, args.scale, args.rebuild, args.reuse)
            try:
                output = mutuals(env, "shell", "-c", SETUP).strip().splitlines()[-1]
                data = json.loads(output)
                roles = Roles(
                    data["auditor"], data["commissioner"], data["spin_outs"],
                    data["commissioned"], data["run"],
                )  # fmt: skip
                print(f"{database}: {data['organisations']:,} organisations, "
                      f"{data['observations']:,} observations", flush=True)  # fmt: skip
                if roles.run is None:
                    raise SystemExit("the world has no finished evaluation run")
                with gunicorn(env, args.port, workers=3):
                    missed += measure(database, roles, args)
            finally:
                if database == "postgres":
                    _admin("DROP DATABASE IF EXISTS mutuals_bench_served")
    if missed:
        print("\nNOT met:\n  " + "\n  ".join(missed))
        sys.exit(1)
    print("\nall page targets met")


if __name__ == "__main__":
    main()
