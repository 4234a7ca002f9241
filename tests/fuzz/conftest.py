"""The fuzz suite: property-based tests of every importer (see :mod:`fuzz.profiles` for the
profiles and the long run)."""

from __future__ import annotations

import pytest

from fuzz import profiles  # noqa: F401  (registers the profiles)
from fuzz.importers import make_world


@pytest.fixture
def world(db):
    return make_world()
