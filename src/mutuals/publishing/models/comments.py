"""Comments on published items, the reports readers make of them, and their moderation.

A comment is plain text: it is stored as typed and always shown escaped. Hiding keeps the
comment (with who hid it, when and why) so it can be restored; every moderation step is
also written to the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mutuals.publishing.models.items import Item


class CommentStatus(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HIDDEN = "hidden", "Hidden by a moderator"


class Comment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="comments")
    version = models.PositiveIntegerField(help_text="The version current when it was written.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=CommentStatus.choices, default=CommentStatus.VISIBLE
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.item_id}"

    @property
    def is_hidden(self) -> bool:
        return self.status == CommentStatus.HIDDEN


class CommentReport(models.Model):
    """A reader's report that a comment breaks the rules; one per reader and comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_reader")
        ]

    def __str__(self) -> str:
        return f"report on comment {self.comment_id}"
