"""For tests that run the real ``mutuals`` command in a child process against an SQLite
file: one provider with four metrics, and the command runner."""

from __future__ import annotations

import subprocess
import sys

# Run with `mutuals shell -c` on a migrated database.
ONE_PROVIDER = """
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric
Organisation.objects.create(name="Testwick CIC", kind="provider", legal_form="cic_shares",
                            company_number="07000001", region="london")
for code in ("m1", "m2", "m3", "m4"):
    Metric.objects.create(code=code, name=code, unit="n", direction="higher", domain="quality")
"""


def mutuals(args, env, **kwargs):
    """``mutuals ARGS`` to its end, raising if it fails."""
    return subprocess.run(
        [sys.executable, "-m", "mutuals.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )
