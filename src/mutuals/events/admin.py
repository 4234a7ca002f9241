"""Back-office view of events. Organising and booking go through the services (so capacity,
rates, emails and the audit trail hold), so here events and bookings are read, not edited."""

from django.contrib import admin
from django.db import models

from mutuals.events.models import Booking, Event, Rate


class RateInline(admin.TabularInline):
    model = Rate
    extra = 0
    can_delete = False
    readonly_fields = ["name", "price", "book_by", "staff_of"]
    fields = readonly_fields


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["title", "kind", "status", "starts_at", "capacity", "provider", "host"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "provider__name", "host__name"]
    inlines = [RateInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Booking)
class BookingAdmin(ReadOnly):
    list_display = ["reference", "event", "status", "rate_name", "price", "booked_at", "attended"]
    list_filter = ["status"]
    search_fields = ["reference", "event__title"]
    exclude = ["user", "person"]
