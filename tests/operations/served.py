"""Helpers for tests that serve Mutuals for real: processes, free ports, HTTP, scratch
databases on the PostgreSQL server the suite uses."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES = os.environ.get("MUTUALS_TEST_POSTGRES_URL", "")
REDIS = os.environ.get("MUTUALS_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production host, as the README's recipe sets it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MUTUALS_TEST_")) and key != "DATABASE_URL"
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="a-long-random-secret-for-the-served-tests-only-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        MUTUALS_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def mutuals(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "mutuals.cli", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, f"mutuals {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@contextmanager
def process(command: list[str], env: dict, log: Path):
    with open(log, "wb") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


def gunicorn(env: dict, port: int, log: Path):
    command = [sys.executable, "-m", "gunicorn", "mutuals.wsgi", "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--timeout", "120"]  # fmt: skip
    return process(command, env, log)


def get(url: str, headers: dict | None = None, data: bytes | None = None, method=None):
    """(status, headers, body) of a request, errors included."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_up(url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not come up:\n{log.read_text()[-3000:]}")


def api_json(url: str, token: str, payload: dict | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if payload is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(payload).encode()
    status, response_headers, body = get(url, headers, data, "POST" if data else "GET")
    return status, response_headers, json.loads(body or b"null")


def require_service(url: str, name: str) -> None:
    """Fail when CI is set and the service is missing; skip on a developer's machine."""
    if url:
        return
    message = f"{name} is needed (set MUTUALS_TEST_POSTGRES_URL, as .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
