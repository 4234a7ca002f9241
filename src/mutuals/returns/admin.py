"""Back-office view of the metric catalogue and returns.

Metrics are edited here. Submissions and observations are read-only: a figure
is corrected by submitting a new version, never by editing a stored one.
"""

from django.contrib import admin

from mutuals.returns.models import Metric, Observation, Submission


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "direction", "domain", "allows_negative"]
    list_filter = ["domain", "direction"]
    search_fields = ["name", "code"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: no adding, changing or deleting from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["id", "submitted_at", "source", "filename", "row_count", "submitted_by"]
    list_filter = ["source"]
    list_select_related = ["submitted_by"]
    date_hierarchy = "submitted_at"


@admin.register(Observation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = [
        "organisation",
        "metric",
        "period",
        "value",
        "version",
        "is_current",
        "submission",
    ]
    list_filter = ["is_current", "period_kind", "metric__domain"]
    list_select_related = ["organisation", "metric", "submission"]
    search_fields = ["=organisation__ods_code", "=organisation__company_number", "=period"]
    raw_id_fields = ["organisation", "metric", "submission"]
    list_per_page = 100
    show_full_result_count = False  # counting millions of rows on every page is slow
    ordering = ["-id"]
