from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "mutuals.evaluation"
    label = "evaluation"
