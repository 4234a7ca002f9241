"""Back-office view of surveys. Responses, links and invitations are not shown here: single
answers are never displayed anywhere, only scores of groups large enough to publish."""

from django.conf import settings
from django.contrib import admin

from mutuals.engagement.models import Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "year", "status", "results_published"]
    list_filter = ["status", "results_published", "year"]
    search_fields = ["title", "organisation__name"]
    readonly_fields = ["min_group_size"]
    raw_id_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.min_group_size = settings.SURVEY_MIN_GROUP_SIZE
        super().save_model(request, obj, form, change)
