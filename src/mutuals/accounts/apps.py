from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mutuals.accounts"
    label = "accounts"

    def ready(self) -> None:
        from mutuals.accounts import audit  # noqa: F401  (connects the sign-in signals)
