"""Every current observation of the demo world exports and re-imports cleanly."""

import pytest

from mutuals.demo.load import load_world
from mutuals.demo.world import build_world
from mutuals.returns.models import CurrentObservation, Observation
from mutuals.returns.services import export_returns, import_returns


@pytest.mark.django_db(transaction=True)
def test_export_then_import_gives_every_observation_a_second_identical_version(tmp_path):
    load_world(build_world("small"))
    before = sorted(
        CurrentObservation.objects.values_list("organisation", "metric", "period", "value")
    )
    out = tmp_path / "returns.csv"

    assert export_returns(out) == len(before)
    report = import_returns(out)

    assert report.problems == []
    assert report.new_versions == len(before)
    after = sorted(
        CurrentObservation.objects.values_list("organisation", "metric", "period", "value")
    )
    assert after == before
    assert Observation.objects.filter(version=2).count() == len(before)
