"""Uploaded files, saved for the importers, and the problems an import finds, for the page.

Every upload page (returns, the register, survey responses) hands its files to the same
importers the command line uses, which read paths; and shows at most
:data:`PROBLEMS_SHOWN` problems, each linking to the file field, with a count of the rest.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from mutuals.errors import Problem

PROBLEMS_SHOWN = 100


@contextmanager
def saved(uploads: Mapping[str, object]) -> Iterator[dict[str, Path]]:
    """Each upload (by key) saved in a new temporary folder as ``<key><suffix>``, lower
    case suffix kept; the folder is deleted afterwards. Keys with no upload are left out."""
    with tempfile.TemporaryDirectory(prefix="mutuals-upload-") as folder:
        paths = {}
        for key, upload in uploads.items():
            if not upload:
                continue
            paths[key] = _write(upload, Path(folder) / f"{key}{Path(upload.name).suffix.lower()}")
        yield paths


@contextmanager
def saved_as_named(upload) -> Iterator[Path]:
    """One upload saved under the last part of its own name, which messages then quote."""
    with tempfile.TemporaryDirectory(prefix="mutuals-upload-") as folder:
        yield _write(upload, Path(folder) / (Path(upload.name).name or "upload"))


def _write(upload, path: Path) -> Path:
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def problems_context(problems: list[Problem], rows: int, field_id: str) -> dict:
    """The upload page's error summary: the first problems, each linking to ``field_id``."""
    problems = sorted(problems)
    return {
        "problems": [(f"#{field_id}", str(problem)) for problem in problems[:PROBLEMS_SHOWN]],
        "more_problems": max(0, len(problems) - PROBLEMS_SHOWN),
        "problem_count": len(problems),
        "rows": rows,
    }
