from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mutuals.accounts.models import TokenScope
from mutuals.accounts.tokens import create_token


def _scopes_described() -> str:
    """Every scope with what it allows, from TokenScope, so the help never falls behind."""
    return "; ".join(f"{scope.value} ({scope.label.lower()})" for scope in TokenScope)


class Command(BaseCommand):
    help = (
        "Create a personal API token for a person and print it once (only its hash is "
        f"kept). Scopes: {_scopes_described()}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the person the token acts as")
        parser.add_argument(
            "--scopes",
            default=TokenScope.READ,
            help=f"comma-separated scopes from {', '.join(TokenScope.values)} (default: read)",
        )
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username, scopes, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no person with the username {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated: a token for them would not work.")
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        try:
            record, token = create_token(user, wanted, name=name)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(
            f"Token {record.prefix} for {username} with scopes {record.scopes}. "
            "It is shown only now: keep it somewhere safe."
        )
        self.stdout.write(token)
