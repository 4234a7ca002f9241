from django.apps import AppConfig
from django.db.models.signals import post_save


def _refresh_after_import(sender, **details) -> None:
    # Imported when first needed: loading a tasks module builds the task backends, which
    # must wait until the settings are final.
    from mutuals.returns.tasks import refresh_after_import

    refresh_after_import(sender, **details)


def _note_carried(sender, instance, created, raw=False, **_) -> None:
    """An observation saved through the ORM (a script, a fixture) notes the organisation its
    submission carried, as the loader does for its bulk inserts."""
    if created and not raw:
        from mutuals.returns.models import SubmissionOrganisation

        SubmissionOrganisation.objects.get_or_create(
            submission_id=instance.submission_id, organisation_id=instance.organisation_id
        )


class ReturnsConfig(AppConfig):
    name = "mutuals.returns"
    label = "returns"

    def ready(self) -> None:
        from mutuals.returns.signals import returns_imported

        returns_imported.connect(_refresh_after_import, dispatch_uid="returns-summary")
        post_save.connect(_note_carried, sender="returns.Observation", dispatch_uid="carried")
