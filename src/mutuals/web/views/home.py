from django.shortcuts import render

from mutuals.accounts.permissions import viewer_for
from mutuals.registry import queries
from mutuals.web.needs import needs_for
from mutuals.web.views import commissioning
from mutuals.web.views.events import upcoming_for


def home(request):
    viewer = viewer_for(request)
    return render(
        request,
        "mutuals/home.html",
        {
            "needs": needs_for(viewer, request.user),
            "figures": queries.portfolio_figures(),
            "programmes": queries.programme_summaries(),
            "commissioning_requests": commissioning.awaiting_managers(viewer),
            "upcoming_events": upcoming_for(viewer),
        },
    )
