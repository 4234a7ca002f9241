"""Whether the site is showing the synthetic demo world, so every page can say so."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

CACHE_KEY = "mutuals:web:demo-data"
CACHE_SECONDS = 300


def holds_demo_data() -> bool:
    """True in DEBUG, or when any submission came from the demo generator (cached)."""
    if settings.DEBUG:
        return True
    cached = cache.get(CACHE_KEY)
    if cached is None:
        from mutuals.returns.models import Submission

        cached = Submission.objects.filter(source=Submission.Source.DEMO).exists()
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    return cached


def holds_demo_data_without_database() -> bool:
    """The same answer for pages that must not query, such as the 500 page: assume demo
    data unless the cache has said otherwise."""
    return settings.DEBUG or cache.get(CACHE_KEY, True)
