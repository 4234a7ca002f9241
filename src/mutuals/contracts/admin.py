"""Back-office editing of contracts, with their baseline and objectives on the same page."""

from django.contrib import admin

from mutuals.contracts.models import Baseline, Contract, Objective


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
