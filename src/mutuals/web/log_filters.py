"""Keep live secrets out of the logs.

A survey link's token is the one credential for answering, and it travels in the path
(``/survey/<token>/``). Django logs the path of every 4xx answer (``django.request``) and
the development server every request (``django.server``), so both loggers pass their
records through :class:`HideSurveyTokens` first. Access logs written outside Django (a
proxy, gunicorn's ``--access-logfile``) need the same care; the README says so.
"""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"/survey/[^/\s?#\"']+")
HIDDEN = "/survey/[token]"


def hide_tokens(text: str) -> str:
    return TOKEN_PATH.sub(HIDDEN, text)


class HideSurveyTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: hide_tokens(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        request = getattr(record, "request", None)
        if request is not None and TOKEN_PATH.search(getattr(request, "path", "")):
            # The request object (its path and query) would be printed by some handlers.
            record.request = None
        return True
