"""Debate on published material: posting, reporting and moderating comments, and closing
an item to new ones.

A comment is text only. It is kept as typed and every page, email and API response shows
it escaped, so markup in a comment is displayed, never run. Anyone signed in may comment
on a published item while its comments are open, up to ``COMMENT_RATE_LIMIT`` comments an
hour (counted in the database, so every web worker and the API share one count).
Moderators — auditors, staff and superusers everywhere, commissioners on the scorecards of
providers they commission — hide comments with a reason, restore them, and close or reopen
an item's comments. Withdrawing an item closes its comments, and they cannot be reopened
until it is published again. Every moderation step goes to the audit trail.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from mutuals.accounts.names import DisplayNameRejected, has_display_name, set_display_name
from mutuals.accounts.permissions import Viewer, allowed_in, may
from mutuals.publishing.errors import (
    CommentRateLimited,
    CommentRejected,
    CommentsClosed,
    NotAllowed,
)
from mutuals.publishing.models import Comment, CommentReport, CommentStatus, Item, ItemStatus
from mutuals.publishing.services import record

MAX_LENGTH = 5000
MAX_REASON = 300
RATE_WINDOW = timedelta(hours=1)


def may_moderate(viewer: Viewer, user, item: Item) -> bool:
    if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
        return True
    if item.organisation_id is None:
        return may(viewer, "change", "comment")
    return allowed_in(viewer, "change", "comment", item.organisation_id)


def shown_comments(item: Item, *, moderator: bool = False) -> QuerySet[Comment]:
    """The item's comments in order: hidden ones only for moderators."""
    comments = item.comments.select_related("author").order_by("created_at", "pk")
    return comments if moderator else comments.filter(status=CommentStatus.VISIBLE)


def clean_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise CommentRejected("Enter your comment")
    if len(text) > MAX_LENGTH:
        raise CommentRejected(
            f"Your comment must be {MAX_LENGTH:,} characters or fewer; it has {len(text):,}"
        )
    return text


def check_rate(user) -> None:
    limit = settings.COMMENT_RATE_LIMIT
    if limit <= 0:
        return
    since = timezone.now() - RATE_WINDOW
    recent = list(
        Comment.objects.filter(author=user, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)[: limit + 1]
    )
    if len(recent) >= limit:
        wait = math.ceil((recent[0] + RATE_WINDOW - timezone.now()).total_seconds())
        minutes = max(1, math.ceil(wait / 60))
        raise CommentRateLimited(
            f"You have posted {limit} comments in the last hour, the most allowed: "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            retry_after=max(1, wait),
        )


def asks_name(user) -> bool:
    """Whether to ask a signed-in person for the name their comments are shown under."""
    return user is not None and user.is_authenticated and not has_display_name(user)


def post(user, item: Item, body: str, *, display_name: str = "") -> Comment:
    """A new comment by ``user`` (signed in) on a published item whose comments are open.
    ``display_name``, if given, becomes the name the person is shown under, saved with
    the comment (both or neither). Without a chosen name the comment is shown as by
    "A registered user" — never under the email address or username."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAllowed("Sign in to comment.")
    text = clean_body(body)
    with transaction.atomic():
        if display_name:
            try:
                set_display_name(user, display_name)
            except DisplayNameRejected as error:
                raise CommentRejected(str(error)) from None
        locked = Item.objects.select_for_update().get(pk=item.pk)
        if locked.is_withdrawn:
            raise CommentsClosed("Comments are closed on this item: it has been withdrawn.")
        if not locked.is_published:
            raise NotAllowed("Comments open once the item is published.")
        if not locked.comments_open:
            raise CommentsClosed("Comments are closed on this item.")
        check_rate(user)
        return Comment.objects.create(
            item=locked, version=locked.latest_version, author=user, body=text
        )


def report(user, comment: Comment, reason: str) -> CommentReport:
    """A reader's report that a comment breaks the rules (once per reader)."""
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in to report a comment.")
    reason = (reason or "").strip()
    if not reason:
        raise CommentRejected("Say why the comment should be hidden")
    if len(reason) > MAX_REASON:
        raise CommentRejected(f"The reason must be {MAX_REASON} characters or fewer")
    try:
        with transaction.atomic():
            return CommentReport.objects.create(comment=comment, reporter=user, reason=reason)
    except IntegrityError:
        return CommentReport.objects.get(comment=comment, reporter=user)


def hide(viewer: Viewer, user, comment: Comment, reason: str) -> Comment:
    reason = (reason or "").strip()
    if not may_moderate(viewer, user, comment.item):
        raise NotAllowed("Only moderators may hide comments.")
    if not reason:
        raise CommentRejected("Give the reason for hiding the comment")
    if len(reason) > MAX_REASON:
        raise CommentRejected(f"The reason must be {MAX_REASON} characters or fewer")
    with transaction.atomic():
        comment.status = CommentStatus.HIDDEN
        comment.hidden_reason = reason
        comment.hidden_by = user
        comment.hidden_at = timezone.now()
        comment.save(update_fields=["status", "hidden_reason", "hidden_by", "hidden_at"])
        comment.reports.update(resolved=True)
        record(user, "comment.hide", comment.item, {"comment": comment.pk, "reason": reason})
    return comment


def restore(viewer: Viewer, user, comment: Comment) -> Comment:
    if not may_moderate(viewer, user, comment.item):
        raise NotAllowed("Only moderators may restore comments.")
    with transaction.atomic():
        previous = comment.hidden_reason
        comment.status = CommentStatus.VISIBLE
        comment.hidden_reason = ""
        comment.hidden_by = None
        comment.hidden_at = None
        comment.save(update_fields=["status", "hidden_reason", "hidden_by", "hidden_at"])
        record(user, "comment.restore", comment.item, {"comment": comment.pk, "was": previous})
    return comment


def set_open(viewer: Viewer, user, item: Item, open_: bool) -> Item:
    """Close an item to new comments, or reopen it (only while it is published: the
    UPDATE itself checks, so a withdrawal at the same moment cannot be undone by it)."""
    if not may_moderate(viewer, user, item):
        raise NotAllowed("Only moderators may close or reopen comments.")
    with transaction.atomic():
        rows = Item.objects.filter(pk=item.pk)
        if open_:
            rows = rows.filter(status=ItemStatus.PUBLISHED)
        if not rows.update(comments_open=open_):
            raise CommentsClosed(_why_not_open(item))
        record(user, "comments.open" if open_ else "comments.close", item, {})
    item.comments_open = open_
    return item


def _why_not_open(item: Item) -> str:
    status = Item.objects.filter(pk=item.pk).values_list("status", flat=True).first()
    if status == ItemStatus.WITHDRAWN:
        return "Comments cannot be reopened on withdrawn material."
    return "Comments open once the item is published."


def open_reports(item: Item) -> QuerySet[CommentReport]:
    return CommentReport.objects.filter(comment__item=item, resolved=False).select_related(
        "comment", "reporter"
    )
