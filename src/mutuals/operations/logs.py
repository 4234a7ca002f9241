"""Logs as one JSON object per line (``LOG_FORMAT=json``), each with its request id.

Secrets stay out whatever the format: survey tokens are masked in logged paths
(:mod:`mutuals.web.log_filters`), ballot choices and receipt codes are never logged, and
API tokens are only ever stored hashed. The formatter also masks anything that looks like
a bearer token or a survey link that reaches a message by another road.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from mutuals.operations.middleware import current_request_id
from mutuals.web.log_filters import hide_tokens

_SECRETS = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-.]+"), r"\1[token]"),
    (re.compile(r"\bmut_[A-Za-z0-9_\-]{8,}"), "[token]"),
)


def mask(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return hide_tokens(text)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (empty outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
            "request_id": getattr(record, "request_id", "") or current_request_id.get(),
        }
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        return json.dumps(entry, ensure_ascii=False)
