"""The fuzz suite's Hypothesis profiles, chosen with the HYPOTHESIS_PROFILE variable.

- ``fuzz`` (the default, what CI runs): 30 examples for each importer, the whole suite in
  well under a minute;
- ``long``: 3,000 examples each, for a search before a release:
  ``HYPOTHESIS_PROFILE=long .tools/bin/uv run pytest tests/fuzz -n 2``.

Each fuzz test applies :data:`FUZZ` itself, so loading this module changes no other test's
settings. The examples are not derandomised: every run searches somewhere new, and a
failure prints the seed (``--hypothesis-seed``) and the blob that reproduce it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # the bound on time is each example's own assertion
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,  # the world is built once a test, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    "print_blob": True,
}
settings.register_profile("fuzz", max_examples=30, **_COMMON)
settings.register_profile("long", max_examples=3000, **_COMMON)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz")
FUZZ = settings.get_profile(PROFILE if PROFILE in {"fuzz", "long"} else "fuzz")
