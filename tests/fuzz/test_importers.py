"""Whatever the file, every table importer either imports it cleanly or refuses it with its
own error naming where: never a traceback, never a partial write, never for long.

Each example runs in a transaction rolled back afterwards, so examples start from the
same small world (:func:`fuzz.importers.make_world`).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import given, note
from hypothesis import strategies as st

from fuzz.importers import IMPORTERS, REFUSALS, Importer
from fuzz.profiles import FUZZ
from fuzz.strategies import HostileFile, hostile_files
from mutuals.errors import ImportRejected

SECONDS = 10  # far beyond any example's need; a stall or a blow-up trips it
LONGEST_MESSAGE = 700


def check_refusal(error: Exception, rows: int | None) -> None:
    """The importer's own error: short messages, each problem on a row the file has."""
    if isinstance(error, ImportRejected):
        assert error.problems, "a rejection names at least one problem"
        for problem in error.problems:
            assert problem.row == 0 or problem.row >= 2, problem
            assert problem.row == 0 or rows is None or problem.row <= rows + 1, problem
            assert 0 < len(str(problem)) <= LONGEST_MESSAGE, str(problem)[:2000]
    else:
        assert 0 < len(str(error)) <= LONGEST_MESSAGE, str(error)[:2000]


def run_once(importer: Importer, world: dict, file: HostileFile) -> None:
    note(repr(file))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{file.suffix}"
        path.write_bytes(file.data)
        with transaction.atomic():
            before = importer.counts()
            started = time.monotonic()
            try:
                importer.run(world, path)
            except REFUSALS as error:
                assert importer.counts() == before, "a refused import wrote something"
                check_refusal(error, None)
            assert time.monotonic() - started < SECONDS
            transaction.set_rollback(True)


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_an_importer_imports_or_refuses_by_name_whatever_the_file(name, world):
    importer = IMPORTERS[name]

    @FUZZ
    @given(file=hostile_files(importer))
    def imports_or_refuses(file):
        run_once(importer, world, file)

    imports_or_refuses()


@FUZZ
@given(data=st.data())
def test_skip_invalid_writes_exactly_the_valid_rows(world, data):
    """With --skip-invalid the good rows go in and the rest are named, never half a row."""
    from mutuals.returns.models import Observation
    from mutuals.returns.services import import_returns

    importer = IMPORTERS["returns"]
    file = data.draw(hostile_files(importer).filter(lambda f: f.kind != "bytes"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{file.suffix}"
        path.write_bytes(file.data)
        with transaction.atomic():
            before = Observation.objects.count()
            try:
                report = import_returns(path, skip_invalid=True)
            except REFUSALS as error:
                assert Observation.objects.count() == before
                check_refusal(error, None)
            else:
                assert Observation.objects.count() == before + report.imported
                assert report.imported + len({p.row for p in report.problems}) == report.rows
            transaction.set_rollback(True)
