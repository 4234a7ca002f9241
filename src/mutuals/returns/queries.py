"""Read-side queries for returns: the latest current figure per metric, and counts.

"Latest" reads only current versions (``is_current=True``), which the
``current_series`` partial index on (metric, organisation, period_start) serves.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Subquery

from mutuals.accounts.permissions import ANONYMOUS, Viewer, allowed_in
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric, Observation

OBSERVATION_COUNT_CACHE_KEY = "mutuals:returns:observation-count"


def observation_count(max_age_seconds: int = 60) -> int:
    """Every observation on record, all versions included.

    Counting millions of rows takes a noticeable fraction of a second, so the
    count is cached for a minute; a page may lag an import by that long.
    """
    count = cache.get(OBSERVATION_COUNT_CACHE_KEY)
    if count is None:
        count = Observation.objects.count()
        cache.set(OBSERVATION_COUNT_CACHE_KEY, count, max_age_seconds)
    return count


def latest_returns(organisation: Organisation, *, viewer: Viewer = ANONYMOUS) -> list[Observation]:
    """For each metric the organisation reports, its latest current observation; empty
    when the viewer may not see the organisation's returns.

    Each observation carries ``versions``: how many versions of that period's
    figure have been submitted, the current one included.
    """
    if not allowed_in(viewer, "view", "observation", organisation.pk):
        return []
    latest = (
        Observation.objects.filter(
            metric=OuterRef("pk"), organisation=organisation, is_current=True
        )
        .order_by("-period_start")
        .values("pk")[:1]
    )
    latest_ids = [
        pk
        for pk in Metric.objects.order_by()
        .annotate(latest=Subquery(latest))
        .values_list("latest", flat=True)
        if pk is not None
    ]
    versions = (
        Observation.objects.filter(
            organisation=OuterRef("organisation"),
            metric=OuterRef("metric"),
            period=OuterRef("period"),
        )
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Observation.objects.filter(pk__in=latest_ids)
        .select_related("metric")
        .annotate(versions=Subquery(versions, output_field=IntegerField()))
        .order_by("metric__domain", "metric__name")
    )
