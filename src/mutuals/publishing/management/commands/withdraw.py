"""``mutuals withdraw``: withdraw published material found to be wrong, with the reason."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mutuals.accounts.permissions import viewer_for_user
from mutuals.publishing.errors import PublishingError
from mutuals.publishing.models import Item
from mutuals.publishing.withdrawal import withdraw


class Command(BaseCommand):
    help = (
        "Withdraw a published item (its id is in its address, /published/<id>/) as the named "
        "person, with the reason readers will see. It stays readable under a notice."
    )

    def add_arguments(self, parser):
        parser.add_argument("item", type=int, help="the published item's id")
        parser.add_argument("--as", dest="username", required=True, help="who withdraws it")
        parser.add_argument("--reason", required=True, help="why, for readers (10-1,000 chars)")

    def handle(self, *args, item, username, reason, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        found = Item.objects.filter(pk=item).first()
        if found is None:
            raise CommandError(f"There is no published item {item}.")
        try:
            withdrawn = withdraw(viewer_for_user(user), user, found, reason)
        except PublishingError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Withdrew {withdrawn.title!r} ({withdrawn.get_absolute_url()}); its comments are "
            "closed."
        )
