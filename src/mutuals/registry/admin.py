"""Back-office editing of the register: organisations, programmes and services."""

from django.contrib import admin

from mutuals.registry.models import Organisation, Programme, ProgrammeMembership, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class MembershipInline(admin.TabularInline):
    model = ProgrammeMembership
    extra = 0
    autocomplete_fields = ["programme", "organisation"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "legal_form",
        "region",
        "spinout_date",
        "exit_date",
        "staff_count",
    ]
    list_filter = ["kind", "region", "legal_form", "programmes"]
    search_fields = ["name", "=ods_code", "=company_number", "=charity_number"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["services"]
    date_hierarchy = "spinout_date"
    list_per_page = 50
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "legal_form", "region"]}),
        ("Identifiers", {"fields": ["ods_code", "company_number", "charity_number"]}),
        ("History", {"fields": ["parent", "spinout_date", "exit_date", "staff_count"]}),
        ("Services", {"fields": ["services"]}),
    ]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [MembershipInline]
