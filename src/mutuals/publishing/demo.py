"""Published material in the demo world: the portfolio report, the first evaluation, two
scorecards and a few comments, so /published/ has something to read and argue over.

Idempotent: it does nothing once anything is published. Called by ``mutuals demo`` after
the first evaluation run and the demo accounts."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from mutuals.accounts.models import Role
from mutuals.accounts.permissions import viewer_for_user
from mutuals.contracts.models import Contract
from mutuals.publishing import comments, services
from mutuals.publishing.errors import PublishingError
from mutuals.publishing.models import Item, ItemKind
from mutuals.registry.models import Organisation

COMMENTS = (
    ("staff", "The scorecard matches what we see on the wards: visits are on time more often."),
    ("commissioner", "We will bring the savings figures to the next contract review meeting."),
    ("provider", "Our staff survey results will follow; engagement rose again this year."),
)


def publish_demo_material() -> list[Item]:
    if Item.objects.exists():
        return []
    users = get_user_model().objects
    auditor = users.filter(username="auditor@demo.invalid").first()
    if auditor is None:
        return []
    viewer = viewer_for_user(auditor)
    items = [services.prepare(viewer, auditor, ItemKind.PORTFOLIO)]
    items.append(services.prepare(viewer, auditor, ItemKind.EVALUATION))
    staff_provider = (
        Role.objects.filter(user__username="staff@demo.invalid", organisation__isnull=False)
        .values_list("organisation_id", flat=True)
        .first()
    )
    others = (
        Contract.objects.filter(provider__exit_date__isnull=True)
        .exclude(provider_id=staff_provider)
        .order_by("provider__name")
        .values_list("provider_id", flat=True)
    )
    provider_ids = [pk for pk in (staff_provider, others.first()) if pk]
    for organisation in Organisation.objects.filter(pk__in=provider_ids).order_by("name"):
        items.append(
            services.prepare(viewer, auditor, ItemKind.SCORECARD, organisation=organisation)
        )
    published = []
    for item in items:
        try:
            services.publish(viewer, auditor, item)
        except PublishingError:
            continue  # no evaluation run yet: the draft stays a draft
        published.append(item)
    target = next((i for i in published if i.organisation_id == staff_provider), None)
    if target is None:
        return published
    for role, text in COMMENTS:
        author = users.filter(username=f"{role}@demo.invalid").first()
        if author is not None:
            comments.post(author, target, text)
    return published
