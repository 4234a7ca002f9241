from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo world: its generator, loader and ``mutuals demo-data``."""

    name = "mutuals.demo"
    label = "demo"
