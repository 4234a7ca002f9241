from django.shortcuts import render

from mutuals.registry import queries


def home(request):
    return render(
        request,
        "mutuals/home.html",
        {"figures": queries.portfolio_figures(), "programmes": queries.programme_summaries()},
    )
