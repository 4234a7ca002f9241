"""Serving a demo world for a benchmark as in production, and driving it with clients.

The world is built in a fresh SQLite file or a scratch PostgreSQL database; gunicorn
serves it with DEBUG off (Redis as the cache when a server answers at REDIS_URL); each
client thread keeps one keep-alive connection and records every request's latency and
any answer that is not a success.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from _postgres import scratch_database

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from mutuals.accounts.models import Role
from mutuals.accounts.tokens import create_token
from mutuals.contracts.models import Contract
from mutuals.registry.models import Organisation, Programme
from mutuals.evaluation.models import EvaluationRun

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
busiest = (
    Organisation.objects.filter(kind="commissioner")
    .annotate(n=Count("contracts_commissioned")).order_by("-n").first()
)
commissioner = users.create_user("bench-commissioner@example.org", password=None)
Role.objects.create(user=commissioner, role="commissioner", organisation=busiest)
spin_outs = list(
    Organisation.objects.filter(kind="provider", spinout_date__isnull=False)
    .values_list("pk", flat=True)
)
own = list(
    Contract.objects.filter(commissioners=busiest).values_list("provider", flat=True).distinct()
)
print(json.dumps({
    "auditor": session_for(auditor),
    "commissioner": session_for(commissioner),
    "token": create_token(auditor, ["read"])[1],
    "organisations": list(Organisation.objects.values_list("pk", flat=True)),
    "spin_outs": spin_outs,
    "commissioned": own or spin_outs[:1],
    "programmes": list(Programme.objects.values_list("code", flat=True)),
    "run": getattr(EvaluationRun.objects.filter(status="done").order_by("-pk").first(), "pk", None),
}))
"""


@dataclass
class World:
    env: dict
    auditor: str
    commissioner: str
    token: str
    organisations: list[int]
    spin_outs: list[int]
    commissioned: list[int]
    programmes: list[str]
    run: int | None


def mutuals(env: dict, *args: str) -> str:
    command = [sys.executable, "-m", "mutuals.cli", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def environment(folder: str, database: str) -> dict:
    env = {
        **os.environ,
        "MUTUALS_DATA_DIR": folder,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_RATE_LIMIT": "0",
    }
    if database == "postgres":
        env["DATABASE_URL"] = scratch_database("mutuals_bench_served")
    else:
        env["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    if _redis_answers(redis_url):
        env["REDIS_URL"] = redis_url
    return env


def _redis_answers(url: str) -> bool:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()
        return True
    except Exception:
        return False


def build(env: dict, scale: str, *, evaluate: bool = True) -> World:
    import json

    mutuals(env, "migrate", "--verbosity", "0")
    started = time.perf_counter()
    mutuals(env, "demo-data", "--scale", scale)
    mutuals(env, "collectstatic", "--noinput", "--verbosity", "0")
    if evaluate:
        mutuals(env, "monitor")
        mutuals(env, "evaluate", "--quiet")
    print(f"Built the {scale} world in {time.perf_counter() - started:.0f} s", flush=True)
    data = json.loads(mutuals(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    return World(env=env, **data)


def drop(env: dict) -> None:
    if env["DATABASE_URL"].startswith("postgres"):
        scratch_database("mutuals_bench_served", drop_only=True)


@contextmanager
def gunicorn(env: dict, port: int, workers: int = 3):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mutuals.wsgi", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                connection.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=60)


@dataclass
class Request:
    path: str
    headers: dict = field(default_factory=dict)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[tuple[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in milliseconds."""
    if len(latencies) < 2:
        value = 1000 * (latencies[0] if latencies else 0.0)
        return value, value, value
    cuts = statistics.quantiles(latencies, n=100)
    return tuple(1000 * cuts[i] for i in (49, 94, 98))


def drive(port: int, clients: int, seconds: float, choose: Callable[[random.Random], tuple],
          tally: Tally) -> None:  # fmt: skip
    """``clients`` threads, each asking ``choose(rng)`` -> (kind, Request) until time is up."""
    until = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < until:
            kind, request = choose(rng)
            headers = {"Host": "127.0.0.1", **request.headers}
            started = time.perf_counter()
            try:
                connection.request("GET", request.path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                tally.errors.append((request.path, repr(error)))
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            tally.add(kind, time.perf_counter() - started)
            if response.status >= 400:
                tally.errors.append((request.path, response.status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cookie(session: str) -> dict:
    return {"Cookie": f"sessionid={session}"}
