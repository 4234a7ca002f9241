from django.apps import AppConfig


def _refresh_after_import(sender, **details) -> None:
    # Imported when first needed: loading a tasks module builds the task backends, which
    # must wait until the settings are final.
    from mutuals.returns.tasks import refresh_after_import

    refresh_after_import(sender, **details)


class ReturnsConfig(AppConfig):
    name = "mutuals.returns"
    label = "returns"

    def ready(self) -> None:
        from mutuals.returns.signals import returns_imported

        returns_imported.connect(_refresh_after_import, dispatch_uid="returns-summary")
