from django.contrib import admin
from django.urls import include, path

from mutuals.web.views import api_docs

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("mutuals.operations.urls")),
    path("api/v1/docs", api_docs.api_docs, name="api-docs"),
    path("", include("mutuals.api.urls")),
    path("", include("mutuals.accounts.urls")),
    path("", include("mutuals.web.urls")),
]

handler400 = "mutuals.web.views.errors.bad_request"
handler403 = "mutuals.web.views.errors.forbidden"
handler404 = "mutuals.web.views.errors.not_found"
handler500 = "mutuals.web.views.errors.server_error"
