"""Whether this process can serve: what a load balancer asks ``/healthz`` and ``/readyz``.

``/healthz`` answers while the process is up, touching nothing. ``/readyz`` checks that
the database, the cache and the task queue answer, so a host that lost one of them is
taken out of rotation; it names what failed, never how (no connection strings).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    milliseconds: float


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = "mutuals:readyz"
    cache.set(key, "ok", 30)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not keep a value")


def _queue() -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").exists()


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "queue": _queue}


def readiness() -> list[Check]:
    results = []
    for name, probe in CHECKS.items():
        started = time.perf_counter()
        try:
            probe()
            ok = True
        except Exception:  # any failure means not ready; the reason is for the logs
            ok = False
        results.append(Check(name, ok, round(1000 * (time.perf_counter() - started), 1)))
    return results
