"""The demo world's contracts export to a package the shipped OCDS schema accepts."""

from __future__ import annotations

import pytest

from mutuals.contracts.ocds import export_release_package, validate_release_package
from mutuals.demo.load import load_world
from mutuals.demo.world import build_world


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_world_exports_valid_ocds():
    load_world(build_world("small", seed=2011))
    package = export_release_package()
    assert package["releases"]
    assert validate_release_package(package) == []


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_world_round_trips():
    from mutuals.contracts.models import Contract
    from mutuals.contracts.ocds import import_release_package

    from .test_ocds import snapshot

    load_world(build_world("small", seed=2011))
    before = snapshot()
    package = export_release_package()
    Contract.objects.all().delete()
    import_release_package(package)
    assert snapshot() == before
