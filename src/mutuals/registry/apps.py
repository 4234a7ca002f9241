from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "mutuals.registry"
    label = "registry"
