from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from mutuals.accounts.demo import is_demo_account


class AccountBackend(ModelBackend):
    """Django's own backend, except that demo accounts only work in a DEBUG (demo) run."""

    def user_can_authenticate(self, user) -> bool:
        if is_demo_account(user.get_username()) and not settings.DEBUG:
            return False
        return super().user_can_authenticate(user)
