from django.shortcuts import render

from mutuals.accounts.permissions import viewer_for
from mutuals.registry import queries
from mutuals.web.views import commissioning
from mutuals.web.views.events import upcoming_for


def home(request):
    return render(
        request,
        "mutuals/home.html",
        {
            "figures": queries.portfolio_figures(),
            "programmes": queries.programme_summaries(),
            "commissioning_requests": commissioning.awaiting_managers(viewer_for(request)),
            "upcoming_events": upcoming_for(viewer_for(request)),
        },
    )
