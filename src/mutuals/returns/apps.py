from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "mutuals.returns"
    label = "returns"
