from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running Mutuals for real: workers, health checks, logs, backups."""

    name = "mutuals.operations"
    label = "operations"
