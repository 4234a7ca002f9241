"""Back-office view of published material, comments, subscriptions and digest runs.

Published versions and digest deliveries are read-only: a version is changed by
publishing a new one, and a delivery records what happened. An item's status and
withdrawal are read-only too: withdraw it on its page, which writes the audit trail. Items (titles, whether
comments are open), comments and subscriptions can be edited; moderation is best done
on the item's page, which writes the audit trail.
"""

from django.contrib import admin

from mutuals.publishing.models import (
    Comment,
    CommentReport,
    Delivery,
    DigestPeriod,
    Item,
    Publication,
    Subscriber,
    Subscription,
)
from mutuals.returns.admin import ReadOnlyAdmin


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "latest_version", "last_published_at"]
    list_filter = ["kind", "status", "comments_open"]
    search_fields = ["title", "key"]
    readonly_fields = [
        "key",
        "kind",
        "status",
        "latest_version",
        "last_published_at",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
    ]
    filter_horizontal = ["providers", "programmes", "metrics"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["title", "version", "published_at", "published_by", "content_sha256"]
    date_hierarchy = "published_at"
    exclude = ["document_html"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "item", "author", "created_at", "status"]
    list_filter = ["status"]
    search_fields = ["body"]
    list_select_related = ["item", "author"]


@admin.register(CommentReport)
class CommentReportAdmin(ReadOnlyAdmin):
    list_display = ["comment", "reporter", "reason", "created_at", "resolved"]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "user", "confirmed_at", "created_at"]
    search_fields = ["email"]
    inlines = [SubscriptionInline]


@admin.register(DigestPeriod)
class DigestPeriodAdmin(ReadOnlyAdmin):
    list_display = ["frequency", "starts_at", "ends_at", "completed_at"]
    list_filter = ["frequency"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["period", "subscriber", "status", "attempts", "sent_at"]
    list_filter = ["status"]
