"""Published material: an :class:`Item` (what is published — the portfolio report, a
provider's scorecard, an impact evaluation) and its :class:`Publication` versions.

A version is frozen when it is published: its ``document_html`` holds the rendered report
exactly as it was (charts inline), and its ``data`` the figures the page shows, so later
returns, runs or code never change what a published version says. Republishing adds
version N+1; earlier versions stay readable.

An item found to be wrong is withdrawn, not deleted: it keeps its address and versions,
and readers see when and why it was withdrawn. The item's own withdrawal fields say whether
it is withdrawn now (publishing it again reinstates it and clears them); each version
withdrawn keeps its stamp for good, so a version that was wrong still says so after a
corrected one is published.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from mutuals.evaluation.models import EvaluationRun
from mutuals.registry.models import Organisation, Programme
from mutuals.returns.models import Metric


class ItemKind(models.TextChoices):
    PORTFOLIO = "portfolio", "Portfolio value-for-money report"
    SCORECARD = "scorecard", "Provider scorecard"
    EVALUATION = "evaluation", "Impact evaluation"


class ItemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Item(models.Model):
    """One thing that is published, in versions. ``key`` names its subject uniquely:
    ``portfolio``, ``scorecard:<provider id>``, ``evaluation:<programme code or all>``."""

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=ItemKind.choices, db_index=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(
        blank=True, help_text="A few sentences introducing the material, shown above it."
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The provider a scorecard is about.",
    )
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The programme an evaluation is limited to; blank for every programme.",
    )
    status = models.CharField(
        max_length=10, choices=ItemStatus.choices, default=ItemStatus.DRAFT, db_index=True
    )
    comments_open = models.BooleanField(default=True)
    # What the latest version is about, for "related" links and digests.
    providers = models.ManyToManyField(Organisation, blank=True, related_name="+")
    programmes = models.ManyToManyField(Programme, blank=True, related_name="+")
    metrics = models.ManyToManyField(Metric, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    latest_version = models.PositiveIntegerField(default=0)
    last_published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_reason = models.TextField(
        blank=True, help_text="Why it was withdrawn, as readers see it with the notice."
    )

    class Meta:
        ordering = ["-last_published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status=ItemStatus.WITHDRAWN, withdrawn_at__isnull=False)
                    | (~Q(status=ItemStatus.WITHDRAWN) & Q(withdrawn_at__isnull=True))
                ),
                name="withdrawn_items_and_only_they_have_a_withdrawal_date",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("publication", args=[self.pk])

    @property
    def is_published(self) -> bool:
        """Published and current (not withdrawn)."""
        return self.status == ItemStatus.PUBLISHED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == ItemStatus.WITHDRAWN

    @property
    def is_draft(self) -> bool:
        return self.status == ItemStatus.DRAFT


class Publication(models.Model):
    """One published version of an item, frozen when it was published."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(
        EvaluationRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publications",
        help_text="The evaluation run whose results this version shows.",
    )
    document_html = models.TextField(
        blank=True, help_text="The report as rendered when published (portfolio, scorecard)."
    )
    data = models.JSONField(default=dict, help_text="The figures the published page shows.")
    content_sha256 = models.CharField(max_length=64)
    # Set when the item is withdrawn while this version exists, and never cleared: the
    # frozen document and its hash are untouched, the notice is added as it is served.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # NULL, not "", for "never withdrawn": the constraint below pairs it with withdrawn_at.
    withdrawal_reason = models.TextField(  # noqa: DJ001
        null=True, blank=True, help_text="Why this version was withdrawn, as readers see it."
    )

    class Meta:
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="one_publication_per_version"),
            models.CheckConstraint(
                condition=(
                    Q(withdrawn_at__isnull=True, withdrawal_reason__isnull=True)
                    | Q(withdrawn_at__isnull=False, withdrawal_reason__isnull=False)
                ),
                name="a_withdrawn_version_has_a_date_and_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def get_absolute_url(self) -> str:
        return reverse("publication-version", args=[self.item_id, self.version])

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
