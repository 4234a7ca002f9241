from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "mutuals.governance"
    label = "governance"
