"""Slowing sign-in attempts from one address, without locking anyone's account.

Accounts are locked one by one (django-axes counts failures by username alone), so guessing
at made-up names from an office's shared address locks nobody out. Guessing is slowed
instead: each address may make ``SIGN_IN_RATE_LIMIT`` failed attempts a calendar minute;
after that its attempts get 429, with ``Retry-After`` (the seconds left in the minute) and a
page saying attempts from the network are being slowed, until the minute ends. Counts live
in Django's cache, like the API's rate limit (:mod:`mutuals.api.ratelimit`)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Window:
    """The address's counter for the current minute."""

    key: str
    retry_after: int


def _window(request) -> Window:
    now = time.time()
    minute = int(now // WINDOW_SECONDS)
    address = request.META.get("REMOTE_ADDR", "")
    return Window(
        key=f"mutuals:sign-in-failures:{address}:{minute}",
        retry_after=max(1, math.ceil((minute + 1) * WINDOW_SECONDS - now)),
    )


def wait_seconds(request) -> int | None:
    """Seconds the address must wait before trying again; None when it may try now."""
    limit = settings.SIGN_IN_RATE_LIMIT
    if limit <= 0:
        return None
    window = _window(request)
    return window.retry_after if cache.get(window.key, 0) >= limit else None


def count_failure(request) -> None:
    """One more failed attempt from the request's address this minute."""
    if settings.SIGN_IN_RATE_LIMIT <= 0:
        return
    window = _window(request)
    cache.add(window.key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        cache.incr(window.key)
    except ValueError:  # expired between add and incr
        cache.set(window.key, 1, timeout=WINDOW_SECONDS * 2)
