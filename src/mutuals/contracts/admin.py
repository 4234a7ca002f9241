"""Back-office editing of contracts, with their baseline and objectives on the same page,
and a read-only list of commissioners' relationships with providers."""

from django.contrib import admin

from mutuals.contracts import relationships
from mutuals.contracts.models import Baseline, CommissioningRelationship, Contract, Objective


class BaselineInline(admin.StackedInline):
    model = Baseline
    extra = 0
    max_num = 1
    autocomplete_fields = ["quality_metric"]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    extra = 0
    autocomplete_fields = ["metric"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "provider",
        "status",
        "start_date",
        "end_date",
        "annual_value",
    ]
    list_filter = ["status"]
    list_select_related = ["provider"]
    search_fields = ["reference", "title", "provider__name"]
    autocomplete_fields = ["provider", "commissioners", "services"]
    date_hierarchy = "start_date"
    list_per_page = 50
    inlines = [BaselineInline, ObjectiveInline]
    fieldsets = [
        (None, {"fields": ["reference", "title", "status"]}),
        ("Parties", {"fields": ["provider", "commissioners", "services"]}),
        ("Terms", {"fields": ["start_date", "end_date", "annual_value"]}),
        (
            "What the contract sets out to achieve",
            {
                "fields": [
                    "savings_requirement_pct",
                    "extra_benefits",
                    "social_value_weight_pct",
                    "continuity_plan",
                    "evaluation_plan",
                ]
            },
        ),
    ]

    def save_related(self, request, form, formsets, change):
        """Once the commissioners are saved: ask the provider to confirm any new one, as
        every other way of recording a contract does."""
        super().save_related(request, form, formsets, change)
        relationships.request_missing(form.instance, user=request.user, via="admin")


@admin.register(CommissioningRelationship)
class CommissioningRelationshipAdmin(admin.ModelAdmin):
    """To look up, not to change: the provider's managers or an auditor answer a request on
    the provider's page, where the answer is audited; a relationship set here would not be."""

    list_display = ["commissioner", "provider", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["commissioner", "provider"]
    search_fields = ["commissioner__name", "provider__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
