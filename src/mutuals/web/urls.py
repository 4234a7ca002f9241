from django.urls import path

from mutuals.web.views import contracts, home, organisations

urlpatterns = [
    path("", home.home, name="home"),
    path("organisations/", organisations.organisation_list, name="organisations"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation"),
    path("contracts/", contracts.contract_list, name="contracts"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract"),
]
