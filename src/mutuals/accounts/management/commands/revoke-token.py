from django.core.management.base import BaseCommand, CommandError

from mutuals.accounts.models import TOKEN_PREFIX, ApiToken
from mutuals.accounts.tokens import revoke_token


class Command(BaseCommand):
    help = (
        "Revoke an API token, given the prefix that create-token and the account page show "
        "(mut_ and 8 characters). Requests with it are refused from then on."
    )

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="the token's prefix, such as mut_1a2b3c4d")

    def handle(self, *args, prefix, **options):
        prefix = prefix.strip()
        if not prefix.startswith(TOKEN_PREFIX):
            prefix = TOKEN_PREFIX + prefix
        record = ApiToken.objects.select_related("user").filter(prefix=prefix[:12]).first()
        if record is None:
            raise CommandError(f"There is no token {prefix}.")
        if not record.is_active:
            raise CommandError(
                f"Token {record.prefix} was already revoked on {record.revoked_at:%Y-%m-%d}."
            )
        revoke_token(record)
        self.stdout.write(
            f"Revoked token {record.prefix} ({record.name or 'unnamed'}) of {record.user}."
        )
