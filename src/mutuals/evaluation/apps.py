from django.apps import AppConfig


def _monitor_after_import(sender, **details) -> None:
    # Imported when first needed: loading the tasks module builds the task backends, which
    # must wait until the settings are final.
    from mutuals.evaluation.monitor_tasks import monitor_after_import

    monitor_after_import(sender, **details)


class EvaluationConfig(AppConfig):
    name = "mutuals.evaluation"
    label = "evaluation"

    def ready(self) -> None:
        from mutuals.returns.signals import returns_imported

        returns_imported.connect(_monitor_after_import, dispatch_uid="monitor-after-import")
