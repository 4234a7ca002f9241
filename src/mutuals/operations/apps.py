from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def _install_triggers(sender, using="default", **_) -> None:
    from mutuals.operations import generation

    generation.install(using)


class OperationsConfig(AppConfig):
    """Running Mutuals for real: workers, health checks, logs, backups."""

    name = "mutuals.operations"
    label = "operations"

    def ready(self) -> None:
        # After every migrate (and a test database's flush): triggers on any new table.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="data-generation")
        from mutuals.operations import sqlite

        connection_created.connect(sqlite.prepare, dispatch_uid="sqlite-set-up")
