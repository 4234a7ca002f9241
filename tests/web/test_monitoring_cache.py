"""The provider page's statistics are cached, and a new return or target shows at once."""

from __future__ import annotations

from unittest import mock

from mutuals.contracts.models import Objective
from mutuals.returns.models import Observation, PeriodKind, Submission
from mutuals.web.views import organisations


def test_cached_statistics_follow_returns_and_targets(world):
    health = world["health"]
    with mock.patch.object(
        organisations, "provider_spc", wraps=organisations.provider_spc
    ) as computed:
        first = organisations.cached_provider_spc(health)
        assert organisations.cached_provider_spc(health) == first
        assert computed.call_count == 1

        Observation.objects.create(
            organisation=health, metric=world["visits"], period="2012-Q1",
            period_start="2012-01-01", period_kind=PeriodKind.QUARTER, value=91.0,
            submission=Submission.objects.create(source=Submission.Source.UPLOAD),
        )  # fmt: skip
        organisations.cached_provider_spc(health)
        assert computed.call_count == 2

        objectives = Objective.objects.filter(
            contract__provider=health, metric__isnull=False, target__isnull=False
        )
        assert objectives.exists()
        objectives.update(target=12.5)
        organisations.cached_provider_spc(health)
        assert computed.call_count == 3
