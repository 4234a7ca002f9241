"""What the busiest pages show, made once per version of the data behind it and kept.

The portfolio dashboard, a scorecard, an evaluation run and the contracts list show
figures worked out from many tables, and parts of them take tens of milliseconds to work
out and to render. They change only when someone writes, so :func:`kept` keeps a value
(figures, or a page's rendered HTML) under a key made of:

- the database's data-generation token (:mod:`mutuals.operations.generation`), which any
  insert, update or delete of a watched table replaces, however it was made;
- the returns' version (:mod:`mutuals.returns.summary`);
- today, the settings and the code's version;
- the ``parts`` the caller names: whatever else the value depends on (the run, the query,
  and for anything that differs by who is looking, :attr:`Viewer.signature`).

So what a maker reads must come from watched tables, the returns, or its parts; a test
(``tests/web/test_kept_pages.py``) checks every maker against the watched list. A stale
value is never served: a write gives a new key and the old entries expire.

Kept values live in the shared cache (Redis, or the file cache), and the last few used
also in this process's memory, which saves unpickling a large value on every request.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from mutuals import config
from mutuals.operations import generation
from mutuals.returns.models import Observation, Submission
from mutuals.returns.summary import version_of

T = TypeVar("T")

KEEP_SECONDS = 24 * 3600
IN_MEMORY = 48  # values kept in this process's memory, the most recently used
SLOT = "<!-- slot -->"  # where a kept fragment leaves room for what differs per request

_memory: OrderedDict[str, object] = OrderedDict()
# The data version a value is being made under, for the values kept while making it.
_making: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("kept_making", default=None)
_lock = threading.Lock()


@functools.cache
def _code_version() -> str:
    """The installed package's version, read from its metadata once per process."""
    try:
        return version("mutuals")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "source"


def _settings_digest() -> str:
    values = [repr(getattr(settings, s.name, None)) for s in config.SETTINGS]
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]


def data_version() -> tuple[str, ...] | None:
    """Everything a kept value depends on beside its own parts; None when the database has
    no generation token yet (nothing would tell the cache that the data changed). One
    query: the token, and the returns' version from two primary keys."""
    quote = connection.ops.quote_name
    token_table = quote(generation.TABLE)
    rows, submissions = quote(Observation._meta.db_table), quote(Submission._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT token, (SELECT MAX(id) FROM {rows}), (SELECT MAX(id) FROM {submissions}) "
            f"FROM {token_table} WHERE id = 1"
        )
        found = cursor.fetchone()
    if found is None:
        return None
    token, newest_row, newest_submission = found
    return (
        token,
        version_of(newest_row, newest_submission),
        timezone.localdate().isoformat(),
        _settings_digest(),
        _code_version(),
    )


def kept(name: str, parts: tuple, make: Callable[[], T]) -> T:
    """``make()``, or what it made before for the same ``parts`` and the same data."""
    # A value kept while making another is of the same data: its version was read first.
    data = _making.get() or data_version()
    if data is None:
        return make()
    digest = hashlib.sha256(repr((data, parts)).encode()).hexdigest()
    key = f"kept:{name}:{digest}"
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]  # type: ignore[return-value]
    found = cache.get(key)
    if found is None:
        found = _making_with(data, name, make)
        cache.set(key, found, KEEP_SECONDS)
    with _lock:
        _memory[key] = found
        while len(_memory) > IN_MEMORY:
            _memory.popitem(last=False)
    return found


def _made(name: str, make: Callable[[], T]) -> T:
    """Where every kept value is made (tests watch here what a maker reads)."""
    return make()


def _making_with(data: tuple, name: str, make: Callable[[], T]) -> T:
    token = _making.set(data)
    try:
        return _made(name, make)
    finally:
        _making.reset(token)


def fragments(
    name: str, parts: tuple, template: str, context: Callable[[], dict]
) -> list[SafeString]:
    """A template rendered with ``context()`` and kept, cut at each :data:`SLOT` it leaves
    for what differs per request (a form with its CSRF token, say). The template is
    rendered without the request: it must show nothing of the person beyond ``parts``."""
    html = kept(name, parts, lambda: render_to_string(template, context()))
    return [mark_safe(piece) for piece in html.split(SLOT)]  # noqa: S308 - our own render


def forget_in_memory() -> None:
    """Empty this process's memory of kept values (the shared cache is left alone)."""
    with _lock:
        _memory.clear()
