from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "mutuals.contracts"
    label = "contracts"
