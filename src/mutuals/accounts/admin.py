"""Back-office view of API tokens: who holds which, with what scopes, and revoking them.

Tokens are created with ``mutuals create-token`` or on the account page, where the token
is shown once; the admin never sees more than its prefix.
"""

from django.contrib import admin

from mutuals.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username", "user__email"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    fields = ["prefix", "user", "name", "scopes", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
        self.message_user(request, "The selected tokens are revoked.")
