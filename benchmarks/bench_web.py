"""Latency of the organisations list and organisation pages under 10 concurrent clients.

Builds the demo world (national by default: about 5,000 providers and 2.4
million observations) in a fresh SQLite database, serves it with gunicorn as
in production (DEBUG off), and drives it from 10 client threads on loopback
with keep-alive connections: a public visitor and a signed-in auditor (who
also sees each organisation's latest returns) ask for list pages with
searches, filters and page numbers, and for organisation pages. Prints the
median, 95th and 99th percentile latency per page kind beside the target.

    uv run python benchmarks/bench_web.py [--scale national|small] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_P95_MS = 300
CLIENTS = 10

SETUP = """
import random
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from mutuals.accounts.models import Role
from mutuals.registry.models import Organisation, Programme
user = get_user_model().objects.create_user("bench-auditor@example.org", password=None)
Role.objects.create(user=user, role="auditor")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "mutuals.accounts.backends.AccountBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
ids = list(Organisation.objects.values_list("pk", flat=True))
programmes = list(Programme.objects.values_list("code", flat=True))
print(session.session_key)
print(",".join(map(str, ids)))
print(",".join(programmes))
"""


def prepare(env: dict, scale: str) -> tuple[str, list[int], list[str]]:
    def mutuals(*args: str) -> str:
        command = [sys.executable, "-m", "mutuals.cli", *args]
        return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout

    mutuals("migrate", "--verbosity", "0")
    started = time.perf_counter()
    mutuals("demo-data", "--scale", scale)
    print(f"Built and loaded the {scale} world in {time.perf_counter() - started:.0f} s")
    key, ids, programmes = mutuals("shell", "-c", SETUP).strip().splitlines()[-3:]
    return key, [int(i) for i in ids.split(",")], programmes.split(",")


def paths(kind: str, ids: list[int], programmes: list[str], rng: random.Random) -> str:
    if kind == "organisation":
        return f"/organisations/{rng.choice(ids)}/"
    choice = rng.random()
    if choice < 0.4:
        return f"/organisations/?page={rng.randint(1, max(1, len(ids) // 50))}"
    if choice < 0.7:
        kind_filter = rng.choice(["provider", "comparator", "commissioner"])
        return f"/organisations/?kind={kind_filter}&programme={rng.choice(programmes)}"
    return f"/organisations/?q={rng.choice(['care', 'health', 'R', 'council', 'trust'])}"


def client(port, cookie, kind, ids, programmes, until, seed, out, errors):
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    while time.perf_counter() < until:
        path = paths(kind, ids, programmes, rng)
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            errors.append((path, response.status))
        out.append(elapsed)


def load(port, cookie, kind, ids, programmes, seconds) -> tuple[list[float], list]:
    latencies: list[float] = []
    errors: list = []
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(
            target=client,
            args=(port, cookie, kind, ids, programmes, until, n, latencies, errors),
        )
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/", headers={"Host": "127.0.0.1"})
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def signed_in_check(port: int, cookie: str, ids: list[int]) -> None:
    """The auditor's cookie must really sign in, or the auditor rows measure nothing."""
    for organisation in ids:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Host": "127.0.0.1", "Cookie": f"sessionid={cookie}"}
        connection.request("GET", f"/organisations/{organisation}/", headers=headers)
        if b"latest-returns-heading" in connection.getresponse().read():
            return
    raise SystemExit("the auditor's session does not show returns: it is not signed in")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="national", choices=["national", "small"])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "MUTUALS_DATA_DIR": folder,
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
        }
        cookie, ids, programmes = prepare(env, args.scale)
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mutuals.wsgi", "--workers", "3",
             "--threads", "2", "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        try:
            wait_for(args.port)
            signed_in_check(args.port, cookie, ids)
            report(args, cookie, ids, programmes)
        finally:
            server.terminate()
            server.wait(timeout=30)


def report(args, cookie, ids, programmes) -> None:
    print(f"{CLIENTS} concurrent clients, {args.seconds:.0f} s per row, gunicorn 3x2, SQLite")
    print(f"{'page':<22}{'who':<10}{'requests':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    worst = 0.0
    for kind in ("organisations list", "organisation"):
        for who, session in (("public", None), ("auditor", cookie)):
            name = "list" if kind.endswith("list") else "organisation"
            latencies, errors = load(args.port, session, name, ids, programmes, args.seconds)
            if errors:
                raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
            cuts = statistics.quantiles(latencies, n=100)
            p50, p95, p99 = (1000 * cuts[i] for i in (49, 94, 98))
            worst = max(worst, p95)
            print(f"{kind:<22}{who:<10}{len(latencies):>9}{p50:>8.0f}{p95:>8.0f}{p99:>8.0f}")
    verdict = "met" if worst < TARGET_P95_MS else "NOT met"
    print(f"Worst p95 {worst:.0f} ms against the target of {TARGET_P95_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
