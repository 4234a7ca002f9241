"""Returns imported through the shared path are charted again by a background task: the
import queues it for the organisations it touched (and no others), and the alert a new
special cause calls for opens without anyone running ``mutuals monitor``."""

from __future__ import annotations

import pytest
from django_tasks.backends.dummy import DummyBackend

from mutuals.errors import ImportRejected
from mutuals.evaluation import monitor_tasks as tasks
from mutuals.evaluation.models import Alert
from mutuals.returns.models import Direction
from mutuals.returns.services import import_returns

from .test_monitoring import WAITING, _metric, _organisation, quarter

pytestmark = pytest.mark.django_db(transaction=True)


def _write(path, code, metric, values):
    lines = ["organisation,metric,period,value"]
    lines += [f"{code},{metric},{quarter(i)[0]},{value}" for i, value in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_import_opens_the_alert_its_returns_call_for(tmp_path):
    provider = _organisation("Riverside Community Health CIC", ods_code="RQX01")
    quiet = _organisation("Hillside Care CIC", ods_code="RQX02")
    _metric("waiting-days", Direction.LOWER_IS_BETTER)

    import_returns(_write(tmp_path / "steady.csv", "RQX02", "waiting-days", [10.0, 11.0] * 10))
    assert not Alert.objects.filter(organisation=quiet).exists()

    import_returns(_write(tmp_path / "jump.csv", "RQX01", "waiting-days", WAITING))
    alerts = Alert.objects.filter(organisation=provider)
    assert alerts.count() == 1
    assert alerts.get().period == "2019-Q3"


def test_the_import_only_queues_the_charting_of_the_organisations_it_touched(tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    provider = _organisation("Riverside Community Health CIC", ods_code="RQX01")
    _organisation("Hillside Care CIC", ods_code="RQX02")
    _metric("waiting-days", Direction.LOWER_IS_BETTER)

    import_returns(_write(tmp_path / "jump.csv", "RQX01", "waiting-days", WAITING))

    backend = tasks.monitor_organisations.get_backend()
    assert isinstance(backend, DummyBackend)
    queued = [r for r in backend.results if r.task.name == "monitor_organisations"]
    assert [r.args for r in queued] == [[[provider.pk]]]
    assert not Alert.objects.exists()  # charted by a worker, not in the importing request
    backend.clear()


def test_a_refused_import_queues_nothing(tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _organisation("Riverside Community Health CIC", ods_code="RQX01")
    _metric("waiting-days", Direction.LOWER_IS_BETTER)
    bad = _write(tmp_path / "bad.csv", "RQX01", "waiting-days", ["ten"])
    with pytest.raises(ImportRejected):
        import_returns(bad)
    assert tasks.monitor_organisations.get_backend().results == []


def test_queuing_the_charting_loads_no_statistics_library(loaded_after):
    """An import that only queues the task must not pay for loading scipy and the engine."""
    imports = ["mutuals.evaluation.monitor_tasks", "mutuals.returns.tasks"]
    assert loaded_after(imports, ("scipy", "mutuals.evaluation.monitoring")) == []
