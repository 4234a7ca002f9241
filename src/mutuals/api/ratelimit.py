"""Requests per minute per token (or, without a token, per address), counted in Django's cache.

The window is the calendar minute: the first request of a minute starts a counter
that expires with it, and a request over ``API_RATE_LIMIT`` is refused with 429 and
``Retry-After`` (the seconds left in the minute). Counts live in Django's cache, so
they are per process unless ``CACHES`` names a shared cache (Redis, Memcached or the
database cache), which a deployment running several processes should do.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

WINDOW_SECONDS = 60


class PerTokenRate(BaseThrottle):
    """Ninja's throttle interface, so ninja adds ``Retry-After`` to the 429 it raises."""

    def __init__(self) -> None:
        self._waits = threading.local()

    def allow_request(self, request) -> bool:
        limit = settings.API_RATE_LIMIT
        if limit <= 0:
            return True
        caller = getattr(request, "auth", None)
        who = caller.rate_key if caller is not None else f"ip:{request.META.get('REMOTE_ADDR', '')}"
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"mutuals:api-rate:{who}:{window}"
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
            count = 1
        self._waits.seconds = math.ceil((window + 1) * WINDOW_SECONDS - now)
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._waits, "seconds", WINDOW_SECONDS)
