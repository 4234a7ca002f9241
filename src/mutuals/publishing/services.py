"""Publishing: prepare a draft, publish it as a frozen version, list and relate what is
published. Views, the API and the commands all call these functions.

Who may publish: auditors anything; commissioners the scorecards of providers they
commission (the matrix's ``publication``/``create`` rule) and impact evaluations (they run
them); the whole-portfolio report names every provider's figures, so only those who may
see every provider's returns (auditors) publish it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.accounts.permissions import Viewer, allowed_in, may
from mutuals.evaluation.models import EvaluationRun
from mutuals.publishing import snapshot
from mutuals.publishing.errors import NotAllowed, PublishingError
from mutuals.publishing.models import Item, ItemKind, ItemStatus, Publication
from mutuals.registry.models import Organisation, OrganisationKind, Programme


def item_key(kind: str, organisation: Organisation | None, programme: Programme | None) -> str:
    if kind == ItemKind.SCORECARD:
        return f"scorecard:{organisation.pk}"
    if kind == ItemKind.EVALUATION:
        return f"evaluation:{programme.code if programme else 'all'}"
    return "portfolio"


def default_title(kind: str, organisation=None, programme=None) -> str:
    if kind == ItemKind.SCORECARD:
        return f"Scorecard: {organisation.name}"
    if kind == ItemKind.EVALUATION:
        return f"Impact evaluation: {programme.name if programme else 'every programme'}"
    return "Value for money of staff-led spin-outs: the portfolio report"


def may_publish(viewer: Viewer, kind: str, organisation_id: int | None = None) -> bool:
    if kind == ItemKind.PORTFOLIO:
        return may(viewer, "view", "observation") and may(viewer, "create", "publication")
    if kind == ItemKind.EVALUATION:
        return may(viewer, "create", "evaluation")
    return organisation_id is not None and allowed_in(
        viewer, "create", "publication", organisation_id
    )


def may_prepare_any(viewer: Viewer) -> bool:
    """Whether the viewer may publish anything at all (to offer the way in)."""
    return (
        may_publish(viewer, ItemKind.PORTFOLIO)
        or may_publish(viewer, ItemKind.EVALUATION)
        or may(viewer, "create", "publication")
        or bool(viewer.commissioned_provider_ids and viewer.holding("commissioner"))
    )


def may_publish_item(viewer: Viewer, item: Item) -> bool:
    return may_publish(viewer, item.kind, item.organisation_id)


def _check_subject(kind: str, organisation, programme) -> None:
    if kind not in ItemKind.values:
        raise PublishingError(
            f"{kind!r} is not something that can be published: use {', '.join(ItemKind.values)}."
        )
    if kind == ItemKind.SCORECARD and (
        organisation is None or organisation.kind != OrganisationKind.PROVIDER
    ):
        raise PublishingError("A scorecard is about a spin-out provider: choose one.")


def prepare(
    viewer: Viewer,
    user,
    kind: str,
    *,
    organisation: Organisation | None = None,
    programme: Programme | None = None,
    title: str = "",
    summary: str = "",
) -> Item:
    """The draft (or the already published item) for this subject, with its title and
    summary set; nothing is published until :func:`publish`. On a published item they
    are the next version's: readers see the latest version's own title and summary
    (:func:`published_items` gives them as ``public_title``/``public_summary``)."""
    _check_subject(kind, organisation, programme)
    if not may_publish(viewer, kind, organisation.pk if organisation else None):
        raise NotAllowed("Your roles do not allow you to publish this.")
    defaults = {
        "kind": kind,
        "organisation": organisation if kind == ItemKind.SCORECARD else None,
        "programme": programme if kind == ItemKind.EVALUATION else None,
        "title": title.strip() or default_title(kind, organisation, programme),
        "created_by": user,
    }
    item, created = Item.objects.get_or_create(
        key=item_key(kind, organisation, programme), defaults={**defaults, "summary": summary}
    )
    if not created and (title.strip() or summary.strip()):
        item.title = title.strip() or item.title
        item.summary = summary.strip() or item.summary
        item.save(update_fields=["title", "summary"])
    return item


def publish(viewer: Viewer, user, item: Item, *, run: EvaluationRun | None = None) -> Publication:
    """Freeze the item's material as its next version and publish it, and queue its PDF for
    the workers (:mod:`~mutuals.publishing.version_pdfs`). A withdrawn item is reinstated:
    the item's withdrawal is cleared (its earlier versions keep their stamps, and the audit
    trail keeps both steps), comments stay closed."""
    if not may_publish_item(viewer, item):
        raise NotAllowed("Your roles do not allow you to publish this.")
    frozen = snapshot.take(item, run)  # the slow part, outside the transaction
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk)
        now = timezone.now()
        version = Publication.objects.create(
            item=locked,
            version=locked.latest_version + 1,
            title=locked.title,
            summary=locked.summary,
            published_at=now,
            published_by=user,
            run=frozen.run,
            document_html=frozen.document_html,
            data=frozen.data,
            content_sha256=frozen.sha256,
        )
        changes = {"version": version.version}
        if locked.status == ItemStatus.WITHDRAWN:
            changes["status"] = [ItemStatus.WITHDRAWN.value, ItemStatus.PUBLISHED.value]
        locked.latest_version = version.version
        locked.status = ItemStatus.PUBLISHED
        locked.last_published_at = now
        locked.withdrawn_at = locked.withdrawn_by = None
        locked.withdrawal_reason = ""
        locked.save(
            update_fields=[
                "latest_version",
                "status",
                "last_published_at",
                "withdrawn_at",
                "withdrawn_by",
                "withdrawal_reason",
            ]
        )
        locked.providers.set(frozen.provider_ids)
        locked.programmes.set(frozen.programme_ids)
        locked.metrics.set(frozen.metric_ids)
        record(user, "publication.publish", locked, changes)
    item.refresh_from_db()
    from mutuals.publishing import version_pdfs  # it reads withdrawal, which reads this

    version_pdfs.queue(version)
    return version


def record(user, action: str, item: Item, changes: dict) -> None:
    """The audit trail's entry for a publishing or moderation step."""
    audit.record(
        action,
        user=user,
        obj=item,
        object_type="publication",
        organisation=item.organisation,
        changes=changes,
    )


def public_items() -> QuerySet[Item]:
    """Items readers can open — published, or withdrawn but kept as a record — each with
    ``public_title`` and ``public_summary``: those of its latest version, which is what
    readers see whatever the draft now says."""
    latest = Publication.objects.filter(item=OuterRef("pk")).order_by("-version")
    return Item.objects.filter(status__in=[ItemStatus.PUBLISHED, ItemStatus.WITHDRAWN]).annotate(
        public_title=Subquery(latest.values("title")[:1]),
        public_summary=Subquery(latest.values("summary")[:1]),
    )


def published_items() -> QuerySet[Item]:
    """Current published material: what lists, "related" links and feeds offer."""
    return public_items().filter(status=ItemStatus.PUBLISHED)


def withdrawn_items() -> QuerySet[Item]:
    """Withdrawn material, most recently withdrawn first."""
    return public_items().filter(status=ItemStatus.WITHDRAWN).order_by("-withdrawn_at", "-pk")


def version_of(item: Item, number: int | None = None) -> Publication | None:
    versions = item.versions.select_related("published_by", "withdrawn_by")
    if number is None:
        return versions.order_by("-version").first()
    return versions.filter(version=number).first()


@dataclass(frozen=True)
class Related:
    item: Item
    reasons: tuple[str, ...]  # "same provider", "same programme", "same metric"


def related(item: Item, limit: int = 10) -> list[Related]:
    """Other published items about the same provider, programme or metric."""
    providers = set(item.providers.values_list("pk", flat=True))
    programmes = set(item.programmes.values_list("pk", flat=True))
    metrics = set(item.metrics.values_list("pk", flat=True))
    shared = Q(providers__in=providers) | Q(programmes__in=programmes) | Q(metrics__in=metrics)
    others = (
        published_items()
        .exclude(pk=item.pk)
        .filter(pk__in=Item.objects.filter(shared).values("pk"))
        .prefetch_related("providers", "programmes", "metrics")
        .order_by("-last_published_at", "-pk")[:limit]
    )
    found = []
    for other in others:
        reasons = []
        if providers & {o.pk for o in other.providers.all()}:
            reasons.append("same provider")
        if programmes & {p.pk for p in other.programmes.all()}:
            reasons.append("same programme")
        if metrics & {m.pk for m in other.metrics.all()}:
            reasons.append("same metric")
        found.append(Related(other, tuple(reasons)))
    return found
