from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "mutuals.publishing"
    label = "publishing"
    verbose_name = "Publishing, comments and digests"

    def ready(self) -> None:
        """Tell the permission matrix what a published item is and how to reach its
        provider, and add the digests to the scheduler's jobs."""
        from django.db.models import Q

        from mutuals.accounts import permissions
        from mutuals.publishing import jobs  # noqa: F401  (registers the digest jobs)

        # A withdrawn item stays readable at its address, with the notice saying why.
        permissions.PUBLISHED["publication"] = lambda: Q(status__in=["published", "withdrawn"])
        permissions.PATHS["publication"] = permissions.ModelPaths(
            permissions._model("publishing.Item"), "organisation"
        )
