"""Publishing's records: published items and their versions, comments, subscriptions,
digest deliveries and the report PDFs the workers make."""

from mutuals.publishing.models.comments import Comment, CommentReport, CommentStatus
from mutuals.publishing.models.digests import Delivery, DeliveryStatus, DigestPeriod
from mutuals.publishing.models.documents import JobStatus, RenderedPdf, ReportJob, ReportKind
from mutuals.publishing.models.items import Item, ItemKind, ItemStatus, Publication
from mutuals.publishing.models.subscriptions import (
    Frequency,
    PendingSubscription,
    Subscriber,
    Subscription,
    Target,
)

__all__ = [
    "Comment",
    "CommentReport",
    "CommentStatus",
    "Delivery",
    "DeliveryStatus",
    "DigestPeriod",
    "Frequency",
    "Item",
    "ItemKind",
    "ItemStatus",
    "JobStatus",
    "PendingSubscription",
    "Publication",
    "RenderedPdf",
    "ReportJob",
    "ReportKind",
    "Subscriber",
    "Subscription",
    "Target",
]
