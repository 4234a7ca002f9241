from django.urls import path

from mutuals.web.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
]
