from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "mutuals.publishing"
    label = "publishing"
