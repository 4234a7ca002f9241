"""Whatever the JSON, ``mutuals import-ocds`` either imports the package or refuses it with
problems naming JSON paths: never a traceback, never a partial write."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from fuzz.profiles import FUZZ
from fuzz.strategies import json_values, mutated_packages
from mutuals.contracts.models import (
    Baseline,
    CommissioningRelationship,
    Contract,
    Objective,
    ObjectiveDirection,
)
from mutuals.contracts.ocds import export_release_package, import_release_package
from mutuals.errors import ImportRejected
from mutuals.registry.models import Organisation, Service
from mutuals.returns.models import Metric

WRITES = (
    Contract,
    Contract.commissioners.through,
    Organisation,
    Objective,
    Baseline,
    Service,
    CommissioningRelationship,
)
SECONDS = 10
LONGEST_MESSAGE = 700


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITES}


@pytest.fixture
def package(world) -> dict:
    """The world's contract, with an objective and a baseline, as OCDS exports it."""
    contract = Contract.objects.get(reference="C-1")
    Objective.objects.create(
        contract=contract, description="Fewer days lost", direction=ObjectiveDirection.DECREASE,
        metric=Metric.objects.get(code="sickness-absence"), target=3.5,
        deadline=dt.date(2014, 3, 31),
    )  # fmt: skip
    Baseline.objects.create(
        contract=contract, annual_cost=Decimal("900000"), annual_activity=Decimal("20000"),
        activity_unit="contacts", price_year=2010,
    )  # fmt: skip
    return json.loads(json.dumps(export_release_package()))


def imports_or_refuses(data) -> None:
    with transaction.atomic():
        before = counts()
        started = time.monotonic()
        try:
            import_release_package(data)
        except ImportRejected as rejected:
            assert counts() == before, "a refused import wrote something"
            assert rejected.problems
            for problem in rejected.problems:
                assert 0 < len(str(problem)) <= LONGEST_MESSAGE, str(problem)[:2000]
        assert time.monotonic() - started < SECONDS
        transaction.set_rollback(True)


def test_a_package_with_one_value_changed_imports_or_is_refused_by_path(package):
    @FUZZ
    @given(data=mutated_packages(package))
    def check(data):
        imports_or_refuses(data)

    check()


@FUZZ
@given(data=json_values)
def test_any_json_imports_or_is_refused(world, data):
    imports_or_refuses(data)


@FUZZ
@given(
    text=st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.integers(1, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
    )
)
def test_the_command_answers_any_bytes_with_a_message(world, text):
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        path = Path(folder) / "package.json"
        path.write_bytes(text)
        before = counts()
        try:
            call_command("import-ocds", str(path), stdout=_Sink(), stderr=_Sink())
        except CommandError as error:
            assert counts() == before
            assert 0 < len(str(error)) <= LONGEST_MESSAGE, str(error)[:2000]
        transaction.set_rollback(True)


class _Sink:
    def write(self, text):
        pass

    def flush(self):
        pass
