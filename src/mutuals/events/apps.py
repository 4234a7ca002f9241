from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events and staff consultation meetings: booking, rates, waiting lists, attendance."""

    name = "mutuals.events"
    label = "events"

    def ready(self) -> None:
        from mutuals.events import jobs  # noqa: F401  (registers the events' periodic jobs)
