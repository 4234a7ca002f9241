from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "mutuals.governance"
    label = "governance"

    def ready(self) -> None:
        from mutuals.governance import jobs  # noqa: F401  (registers the ballot tick)
