"""``mutuals publish``: publish the portfolio report, a scorecard or an evaluation."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mutuals.accounts.permissions import viewer_for_user
from mutuals.evaluation.models import EvaluationRun, RunStatus
from mutuals.publishing import services
from mutuals.publishing.errors import PublishingError
from mutuals.publishing.models import ItemKind
from mutuals.registry.models import Organisation, Programme


class Command(BaseCommand):
    help = (
        "Publish (or republish as a new version) the portfolio report, a provider's "
        "scorecard or an impact evaluation, as the named person; the material is frozen "
        "as it is now."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ItemKind.values)
        parser.add_argument("--as", dest="username", required=True, help="who publishes")
        parser.add_argument("--provider", type=int, help="provider id (scorecards)")
        parser.add_argument("--programme", help="programme code (evaluations; default all)")
        parser.add_argument("--run", type=int, help="evaluation run id (default the latest full)")
        parser.add_argument("--title", default="")
        parser.add_argument("--summary", default="")

    def handle(self, *args, kind, username, provider, programme, run, title, summary, **opts):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        organisation = Organisation.objects.filter(pk=provider).first() if provider else None
        if provider and organisation is None:
            raise CommandError(f"There is no organisation {provider}.")
        chosen = Programme.objects.filter(code=programme).first() if programme else None
        if programme and chosen is None:
            raise CommandError(f"There is no programme {programme!r}.")
        evaluation_run = None
        if run is not None:
            evaluation_run = EvaluationRun.objects.filter(pk=run, status=RunStatus.DONE).first()
            if evaluation_run is None:
                raise CommandError(f"Evaluation run {run} does not exist or has not finished.")
        viewer = viewer_for_user(user)
        try:
            item = services.prepare(
                viewer,
                user,
                kind,
                organisation=organisation,
                programme=chosen,
                title=title,
                summary=summary,
            )
            version = services.publish(viewer, user, item, run=evaluation_run)
        except PublishingError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Published {item.title!r} version {version.version} ({item.get_absolute_url()})."
        )
