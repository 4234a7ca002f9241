"""Withdrawing published material that turned out to be wrong.

Nothing is deleted: a withdrawn item keeps its address, its versions and its comments, so
the record of what was said stays readable. Readers see, on every page of it and on every
report downloaded from it, when it was withdrawn, by whom and why. It leaves everything that
lists current material (the list of publications' main list, "related" links, digests and
the API's default list), and its comments close. Publishing it again
(:func:`mutuals.publishing.services.publish`) reinstates it as a new version, with its
comments still closed until a moderator reopens them.

Who may withdraw (:func:`may_withdraw`): auditors anything; anyone else only an item whose
latest version they published themselves, while they may still publish it.

Withdrawing stamps every version of the item not stamped already; the stamp is never
cleared, so a version that was wrong still says so after a corrected one is published. A
version's frozen report is never changed: the notice is put into the copy served, so the
stored document and its SHA-256 stay those of the day it was published. The PDFs of the
versions stamped are queued for the workers at once, since their documents now differ.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from mutuals.accounts.permissions import Viewer, may
from mutuals.publishing.errors import CannotWithdraw, NotAllowed, WithdrawalRejected
from mutuals.publishing.models import Item, ItemStatus, Publication
from mutuals.publishing.services import may_publish_item, record, version_of

NOT_ALLOWED = "Only an auditor, or whoever published its latest version, may withdraw this."
MIN_REASON = 10
MAX_REASON = 1000
NOTICE_TEMPLATE = "mutuals/publishing/document/withdrawal_notice.html"
NOTICE_STYLE_TEMPLATE = "mutuals/publishing/document/withdrawal_style.html"
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.IGNORECASE)


def clean_reason(reason: str) -> str:
    """The reason as stored: plain text, trimmed, 10 to 1,000 characters."""
    text = (reason or "").replace("\r\n", "\n").strip()
    if not text:
        raise WithdrawalRejected("Enter the reason for withdrawing it")
    if len(text) < MIN_REASON:
        raise WithdrawalRejected(
            f"The reason must be at least {MIN_REASON} characters; it has {len(text)}"
        )
    if len(text) > MAX_REASON:
        raise WithdrawalRejected(
            f"The reason must be {MAX_REASON:,} characters or fewer; it has {len(text):,}"
        )
    return text


def problem(item: Item) -> str | None:
    """Why the item cannot be withdrawn now, or None if it can."""
    if item.status == ItemStatus.WITHDRAWN:
        return f"This was already withdrawn on {_day(item)}."
    if item.status != ItemStatus.PUBLISHED:
        return "Only published material can be withdrawn: this is a draft."
    return None


def may_withdraw(viewer: Viewer, user, item: Item) -> bool:
    """Auditors (who may publish anything) may withdraw anything. Anyone else may withdraw
    only an item whose latest version they published themselves, and only while they may
    still publish it: a commissioner cannot withdraw an auditor's evaluation, nor a
    scorecard another commissioner published."""
    if may(viewer, "create", "publication"):
        return True
    if user is None or not user.is_authenticated or not may_publish_item(viewer, item):
        return False
    latest = version_of(item)
    return latest is not None and latest.published_by_id == user.pk


def withdraw(viewer: Viewer, user, item: Item, reason: str) -> Item:
    """Withdraw a published item with the reason readers will see, stamp its versions and
    close its comments."""
    if not may_withdraw(viewer, user, item):
        raise NotAllowed(NOT_ALLOWED)
    text = clean_reason(reason)
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk)
        if not may_withdraw(viewer, user, locked):  # someone else published since
            raise NotAllowed(NOT_ALLOWED)
        if found := problem(locked):
            raise CannotWithdraw(found)
        was_open = locked.comments_open
        now = timezone.now()
        locked.status = ItemStatus.WITHDRAWN
        locked.withdrawn_at = now
        locked.withdrawn_by = user
        locked.withdrawal_reason = text
        locked.comments_open = False
        locked.save(
            update_fields=[
                "status",
                "withdrawn_at",
                "withdrawn_by",
                "withdrawal_reason",
                "comments_open",
            ]
        )
        stamped = Publication.objects.filter(item=locked, withdrawn_at__isnull=True)
        stamped_ids = list(stamped.values_list("pk", flat=True))
        stamped.update(withdrawn_at=now, withdrawn_by=user, withdrawal_reason=text)
        changes = {
            "status": [ItemStatus.PUBLISHED.value, ItemStatus.WITHDRAWN.value],
            "comments_open": [was_open, False],
            "reason": [None, text],
        }
        record(user, "publication.withdraw", locked, changes)
    item.refresh_from_db()
    from mutuals.publishing import version_pdfs  # it reads noticed_document, below

    version_pdfs.queue_versions(Publication.objects.filter(pk__in=stamped_ids))
    return item


def noticed_document(version: Publication) -> str:
    """A version's frozen report as served: with the withdrawal notice at the top of its
    body (and on every PDF page) when that version was withdrawn — also after a later
    version was published — else exactly as stored."""
    document_html = version.document_html
    if not version.is_withdrawn:
        return document_html
    context = {"version": version}
    style = render_to_string(NOTICE_STYLE_TEMPLATE, context)
    banner = render_to_string(NOTICE_TEMPLATE, context)
    head = _HEAD_CLOSE.search(document_html)
    if head:
        document_html = document_html[: head.start()] + style + document_html[head.start() :]
    body = _BODY_OPEN.search(document_html)
    if body is None:
        return banner + document_html
    return document_html[: body.end()] + banner + document_html[body.end() :]


def _day(item: Item) -> str:
    return dateformat.format(timezone.localtime(item.withdrawn_at), "j F Y")
