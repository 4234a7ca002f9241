"""Served for real: the README's production recipe, and Mutuals on several processes.

* With DEBUG off, as the README's "Serving it for real" says, gunicorn serves pages and
  their stylesheet (hashed, compressed, cached for a year) with no web server in front.
* Two gunicorn instances on two ports, two queue workers, PostgreSQL and Redis: an
  evaluation started through one instance is carried out by the workers and seen through
  the other; a worker killed with SIGKILL in the middle of a step loses nothing (its task
  goes back in the queue) and the run completes once, with the same fingerprint and results
  as a run in one process; and the API's rate limit is counted across both instances.

These tests start their own processes and databases, so they are not run again in the
PostgreSQL pass: the second uses PostgreSQL (and Redis) itself.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from .served import (
    POSTGRES,
    REDIS,
    free_port,
    get,
    gunicorn,
    mutuals,
    process,
    production_env,
    require_service,
    wait_until_up,
)

pytestmark = pytest.mark.slow


def test_the_readme_recipe_serves_styled_pages_with_debug_off(tmp_path):
    data = tmp_path / "data"
    env = production_env(data, DATABASE_URL=f"sqlite:///{tmp_path / 'mutuals.sqlite3'}")
    checked = {k: v for k, v in env.items() if k != "SECURE_SSL_REDIRECT"}
    mutuals(checked, "check", "--deploy", "--fail-level", "WARNING")
    mutuals(env, "migrate", "--verbosity", "0")
    mutuals(env, "collectstatic", "--noinput", "--verbosity", "0")
    port, log = free_port(), tmp_path / "gunicorn.log"
    with gunicorn(env, port, log):
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz", log)
        status, _, body = get(f"{base}/")
        assert status == 200
        sheets = re.findall(r'href="(/static/[^"]+\.css)"', body.decode())
        assert sheets, "the page links its stylesheet"
        for sheet in sheets:
            assert re.search(r"\.[0-9a-f]{12}\.css$", sheet), f"{sheet} has no hashed name"
            status, headers, css = get(base + sheet, {"Accept-Encoding": "gzip"})
            assert status == 200 and headers["Content-Type"].startswith("text/css")
            assert "max-age=315360000" in headers["Cache-Control"]
            assert headers.get("Content-Encoding") == "gzip" and len(css) > 100


def _python(env: dict, code: str) -> str:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env={**env, "DJANGO_SETTINGS_MODULE": "mutuals.settings"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


TOKENS_FOR_AN_AUDITOR = """
from django.contrib.auth import get_user_model
from mutuals.accounts.models import Role, RoleName
from mutuals.accounts.tokens import create_token
user = get_user_model().objects.create_user("auditor@example.org", password="x-12345-yz")
Role.objects.create(user=user, role=RoleName.AUDITOR)
print(create_token(user, ["admin"])[1])
print(create_token(user, ["read"])[1])
"""

# Read straight from PostgreSQL, many times a second: a step lasts a fraction of one.
HOLDER = """
SELECT t.id, b.pid FROM django_tasks_database_dbtaskresult t
JOIN operations_workerbeat b ON b.worker_id = t.worker_ids ->> -1
WHERE t.status = 'RUNNING' AND t.task_path LIKE '%%make_evaluation_step' LIMIT 1
"""

OUTCOME = """
import json
from django_tasks_db.models import DBTaskResult
from mutuals.evaluation.models import EvaluationRun
run = EvaluationRun.objects.get(pk={run})
tasks = DBTaskResult.objects.filter(pk="{task}").values_list("status", "worker_ids")
results = sorted(
    (r.programme_id, r.metric_id, r.cohort, r.method, r.organisation_id or 0, r.att, r.verdict)
    for r in run.results.all()
)
print(json.dumps({{"status": run.status, "fingerprint": run.fingerprint, "results": results,
                  "task": list(tasks)[0]}}))
"""


def test_two_web_instances_two_workers_postgres_and_redis(tmp_path):
    require_service(POSTGRES, "PostgreSQL")
    import psycopg
    import redis

    name = f"mutuals_served_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as server:
        server.execute(f"DROP DATABASE IF EXISTS {name}")
        server.execute(f"CREATE DATABASE {name}")
    database = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    cache_url = f"{REDIS}/7"
    try:
        redis.Redis.from_url(cache_url).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is needed at {REDIS} (set MUTUALS_TEST_REDIS_URL)")
    shared = dict(
        DATABASE_URL=database, REDIS_URL=cache_url, API_RATE_LIMIT="40",
        WORKER_HEARTBEAT_SECONDS="1",
    )  # fmt: skip
    env_a = production_env(tmp_path / "host-a", **shared)
    env_b = production_env(tmp_path / "host-b", **shared)
    try:
        mutuals(env_a, "migrate", "--verbosity", "0")
        mutuals(env_a, "demo-data", "--scale", "small", "--verbosity", "0")
        tokens = _python(env_a, TOKENS_FOR_AN_AUDITOR).splitlines()[-2:]
        _serve_and_evaluate(tmp_path, env_a, env_b, database, *tokens)
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as server:
            server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _serve_and_evaluate(tmp_path, env_a, env_b, database, token, reader) -> None:
    from .served import api_json

    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    worker = [sys.executable, "-m", "mutuals.cli", "worker", "--interval", "0.2"]
    with (
        gunicorn(env_a, port_a, tmp_path / "a.log"),
        gunicorn(env_b, port_b, tmp_path / "b.log"),
        process(worker, env_a, tmp_path / "worker-1.log") as first,
    ):
        wait_until_up(f"{a}/healthz", tmp_path / "a.log")
        wait_until_up(f"{b}/healthz", tmp_path / "b.log")
        status, headers, run = api_json(f"{a}/api/v1/evaluations", token, {})
        assert status == 202, run
        # Kill the first worker in the middle of a step: its task must not be lost.
        task_id, pid = _holding_worker(database, tmp_path)
        assert pid == first.pid
        os.kill(pid, signal.SIGKILL)
        first.wait(timeout=10)
        with process(worker, env_b, tmp_path / "worker-2.log"), \
             process(worker, env_b, tmp_path / "worker-3.log"):  # fmt: skip
            _wait_for_run(database, run["id"], tmp_path)
        status, _, seen = api_json(f"{b}/api/v1/evaluations/{run['id']}", token)
        assert status == 200 and seen["status"] == "done", seen
        assert seen["steps_done"] == seen["steps_total"] and seen["results"]
        _rate_limit_is_shared(a, b, reader)
    queued = json.loads(_python(env_a, OUTCOME.format(run=run["id"], task=task_id)))
    assert queued["task"][0] == "SUCCESSFUL" and len(queued["task"][1]) == 2, queued["task"]
    # The same run in one process gives the same fingerprint and the same results, once.
    mutuals(env_a, "evaluate", "--quiet")
    last = _python(env_a, "from mutuals.evaluation.models import EvaluationRun as R\n"
                          "print(R.objects.order_by('-pk').first().pk)")  # fmt: skip
    inline = json.loads(_python(env_a, OUTCOME.format(run=last, task=task_id)))
    assert queued["fingerprint"] == inline["fingerprint"] != ""
    assert queued["results"] == inline["results"] and queued["results"]


def _holding_worker(database: str, logs: Path, seconds: float = 60) -> tuple[str, int]:
    import psycopg

    deadline = time.monotonic() + seconds
    with psycopg.connect(database, autocommit=True) as db:
        while time.monotonic() < deadline:
            found = db.execute(HOLDER).fetchone()
            if found:
                return str(found[0]), int(found[1])
            time.sleep(0.01)
    pytest.fail(f"no worker was seen holding a step:\n{(logs / 'worker-1.log').read_text()}")


def _wait_for_run(database: str, run: int, logs: Path, seconds: float = 240) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    with psycopg.connect(database, autocommit=True) as db:
        while time.monotonic() < deadline:
            (status,) = db.execute(
                "SELECT status FROM evaluation_evaluationrun WHERE id = %s", [run]
            ).fetchone()
            if status in ("done", "failed"):
                assert status == "done"
                return
            time.sleep(0.25)
    worker_logs = "\n".join(p.read_text()[-2000:] for p in sorted(logs.glob("worker-*.log")))
    pytest.fail(f"run {run} did not finish:\n{worker_logs}")


def _rate_limit_is_shared(a: str, b: str, token: str) -> None:
    from .served import api_json

    statuses = [api_json(f"{(a, b)[n % 2]}/api/v1/programmes", token)[0] for n in range(45)]
    assert 429 in statuses, statuses
    first_refused = statuses.index(429)
    assert first_refused <= 40, "40 requests a minute, counted across both instances"
    assert all(s == 200 for s in statuses[:first_refused])
