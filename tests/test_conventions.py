"""Conventions the project keeps: documented settings and commands, complete migrations."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mutuals import cli, config

ROOT = Path(__file__).resolve().parents[1]
# Every app of ours with migrations: unapplying the base apps unapplies those that depend on
# them, so all must be reapplied or later tests lose their tables.
OUR_APPS = (
    "registry", "returns", "contracts", "accounts", "evaluation", "governance", "engagement",
    "publishing", "events",
)  # fmt: skip


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert config.settings_table_markdown() in readme, (
        "README's settings table is out of date: paste config.settings_table_markdown()"
    )
    for setting in config.SETTINGS:
        assert len(setting.help) > 20, f"{setting.name} needs help text"


def test_settings_are_typed_and_bad_values_named():
    values = config.load({"DEBUG": "yes", "PORT": "9000", "MUTUALS_DATA_DIR": "/tmp/x"})
    assert values["DEBUG"] is True and values["PORT"] == 9000
    with pytest.raises(config.ConfigError, match="PORT='eighty' is not a whole number"):
        config.load({"PORT": "eighty", "MUTUALS_DATA_DIR": "/tmp/x", "SECRET_KEY": "k"})


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = config.load({"MUTUALS_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    second = config.load({"MUTUALS_DATA_DIR": str(tmp_path)})["SECRET_KEY"]
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_every_product_command_explains_itself():
    overview = cli.overview()
    for name, app in get_commands().items():
        if app.startswith("mutuals."):
            command = load_command_class(app, name)
            assert command.help and len(command.help) > 30, f"{name} needs help text"
            assert f"  {name} " in overview


def test_the_command_leaves_its_objects_to_the_operating_system_as_it_ends(monkeypatch):
    """Whether the command succeeds or fails, the collector's objects are frozen before the
    interpreter's last collections, which would walk them all (0.2-0.3 s a command)."""
    import gc

    from django.core import management

    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    for outcome in (None, SystemExit(1)):

        def run(argv, outcome=outcome):
            if outcome is not None:
                raise outcome

        monkeypatch.setattr(management, "execute_from_command_line", run)
        with pytest.raises(SystemExit) if outcome else contextlib.nullcontext():
            cli.main(["check"])
    assert frozen == [True, True]


def test_commands_start_without_the_statistics_libraries(loaded_after):
    """Every command sets Django up, and Django imports every app's models: a models module
    that imports an engine module must not bring numpy, scipy or statsmodels with it (numpy
    alone added 40-60 ms to the start of every command, an import's included)."""
    watched = ("numpy", "scipy", "statsmodels", "pandas")
    assert loaded_after(["mutuals.returns.services"], watched) == []


def test_models_and_migrations_agree(db):
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_migrations_unapply_and_reapply():
    executor = MigrationExecutor(connection)
    leaves = [key for key in executor.loader.graph.leaf_nodes() if key[0] in OUR_APPS]
    executor.migrate([(app, None) for app in ("accounts", "contracts", "returns", "registry")])
    executor.loader.build_graph()
    executor.migrate(leaves)
    tables = connection.introspection.table_names()
    assert {"evaluation_evaluationrun", "evaluation_alert"} <= set(tables)
    assert {
        "registry_organisation",
        "returns_observation",
        "contracts_contract",
        "accounts_role",
        "accounts_auditevent",
    } <= set(tables)


def test_every_benchmark_that_holds_a_target_fails_when_it_misses_it():
    """``make bench`` names the benchmarks that missed a target by their exit status: one
    that prints a verdict but always exits 0 would let a miss pass unnoticed. A benchmark
    that prints a miss must also exit with a failure (``sys.exit(1)``, or ``sys.exit`` with
    the misses named); an exit only for a failed run is not enough."""
    benchmarks = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    assert benchmarks
    verdict = re.compile(r"NOT met|MISSED")
    exits_on_miss = re.compile(r"sys\.exit\((1|[^)]*missed[^)]*)\)|SystemExit\(1\)", re.I)
    silent = [
        path.name
        for path in benchmarks
        if verdict.search(text := path.read_text()) and not exits_on_miss.search(text)
    ]
    assert silent == []
