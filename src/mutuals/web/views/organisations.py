"""The organisation journey: find an organisation, then read about it."""

from django.shortcuts import render
from django.urls import reverse

from mutuals.registry import queries
from mutuals.returns.queries import latest_returns
from mutuals.web.components import paginate, pagination
from mutuals.web.forms import OrganisationFilterForm


def organisation_list(request):
    form = OrganisationFilterForm(request.GET, programmes=queries.programme_choices())
    filters = form.filters()
    page = paginate(
        request,
        queries.search_organisations(filters["q"], filters["programme"], filters["kind"]),
    )
    return render(
        request,
        "mutuals/organisations/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "pagination": pagination(request, page),
            "breadcrumbs": [("Home", reverse("home"))],
        },
    )


def organisation_detail(request, pk: int):
    organisation_page = queries.organisation_page(pk)
    return render(
        request,
        "mutuals/organisations/detail.html",
        {
            "page": organisation_page,
            "organisation": organisation_page.organisation,
            "latest_returns": latest_returns(organisation_page.organisation),
            "breadcrumbs": [("Home", reverse("home")), ("Organisations", reverse("organisations"))],
        },
    )
