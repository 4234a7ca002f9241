"""What a load balancer and a log collector see: /healthz, /readyz, request ids and JSON
log lines with no secrets in them."""

from __future__ import annotations

import json
import logging

import pytest

from mutuals.operations import health
from mutuals.operations.logs import JsonFormatter, RequestIdFilter


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_the_database_cache_and_queue(client, monkeypatch):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"database", "cache", "queue"}

    def down():
        raise ConnectionError("secret://user:password@cache-host")

    monkeypatch.setitem(health.CHECKS, "cache", down)
    failing = client.get("/readyz")
    assert failing.status_code == 503
    assert failing.json()["checks"]["cache"]["ok"] is False
    assert "password" not in failing.content.decode()


def test_every_response_carries_a_request_id_and_keeps_a_proxy_s(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})["X-Request-ID"]
    assert kept == "lb-1234abcd"
    refused = client.get("/healthz", headers={"X-Request-ID": "<script>"})["X-Request-ID"]
    assert refused != "<script>"


def test_json_log_lines_carry_the_request_id_and_no_secrets():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1,
        "Forbidden: /survey/%s/ with Authorization: Bearer mut_abcdefgh12345678", ("tok3nS3cret",),
        None,
    )  # fmt: skip
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line and entry["level"] == "WARNING" and "request_id" in entry
    assert "tok3nS3cret" not in line and "mut_abcdefgh" not in line
    assert "/survey/[token]" in entry["message"]
