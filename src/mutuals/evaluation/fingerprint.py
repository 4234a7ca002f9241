"""What makes an evaluation run reproducible: the code that ran and the data it read.

:func:`code_version` names the package version and a digest of the source of
every module whose change could alter an estimate (the engine, this app) and
the versions of the estimator libraries. Each step of a run digests every
panel it read (:class:`PanelDigest`), and :func:`run_fingerprint` is the
SHA-256 of the configuration, the code version and those digests in the run's
order, so two runs on the same data give the same fingerprint, however their
steps were shared between workers, and a change to any one observation gives
another.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

ESTIMATOR_LIBRARIES = ("diff-diff", "qpsolvers", "clarabel", "numpy", "scipy", "polars")


@cache
def code_version() -> str:
    """``<package version>+<12 hex digits of the estimating source and libraries>``."""
    import mutuals.engine
    import mutuals.evaluation

    digest = hashlib.sha256()
    for package in (mutuals.engine, mutuals.evaluation):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            digest.update(path.relative_to(root.parent).as_posix().encode())
            digest.update(path.read_bytes())
    for library in ESTIMATOR_LIBRARIES:
        digest.update(f"{library}=={_version(library)}".encode())
    return f"{_version('mutuals')}+{digest.hexdigest()[:12]}"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


class PanelDigest:
    """A running SHA-256 over the panels one step read, in a fixed order."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add_panel(self, label: str, frame: pl.DataFrame) -> None:
        """Add one panel (unit, time, cohort, outcome), in a canonical row order."""
        self._digest.update(label.encode())
        ordered = frame.sort("unit", "time")
        for column, dtype in (
            ("unit", np.int64),
            ("time", np.int64),
            ("cohort", np.int64),
            ("outcome", np.float64),
        ):
            self._digest.update(np.ascontiguousarray(ordered[column].to_numpy(), dtype).tobytes())

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def run_fingerprint(configuration: dict, version: str, step_digests: list[str]) -> str:
    """SHA-256 of the configuration, the code version and each step's digest in the run's
    order: the same whichever worker made which step."""
    digest = hashlib.sha256()
    digest.update(json.dumps(configuration, sort_keys=True).encode())
    digest.update(version.encode())
    for step in step_digests:
        digest.update(step.encode())
    return digest.hexdigest()
