"""For tests that run the real ``mutuals`` command in a child process against an SQLite
file: one provider with four metrics in a new database, and the command runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def one_provider_world(folder: Path) -> dict:
    """A migrated SQLite database in ``folder`` (its data folder) holding
    :data:`ONE_PROVIDER`; the environment that runs ``mutuals`` on it. Periods from the year
    1000 to 4999 are allowed, so one provider and four metrics make millions of rows."""
    env = {
        **os.environ,
        "MUTUALS_DATA_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "mutuals.settings",
        "RETURNS_FIRST_PERIOD": "1000-Q1",
        "RETURNS_MAX_QUARTERS_AHEAD": "20000",
    }
    env.pop("DATABASE_URL", None)
    mutuals(["migrate", "--verbosity", "0"], env)
    mutuals(["shell", "-c", ONE_PROVIDER], env)
    return env
