"""The organisation journey: find an organisation, then read about it."""

from django.shortcuts import render
from django.urls import reverse

from mutuals.accounts.permissions import allowed_in, viewer_for
from mutuals.registry import queries
from mutuals.returns.queries import latest_returns
from mutuals.web.components import paginate, pagination
from mutuals.web.forms import OrganisationFilterForm


def organisation_list(request):
    form = OrganisationFilterForm(request.GET, programmes=queries.programme_choices())
    filters = form.filters()
    page = paginate(
        request,
        queries.search_organisations(
            filters["q"], filters["programme"], filters["kind"], viewer=viewer_for(request)
        ),
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
    viewer = viewer_for(request)
    organisation_page = queries.organisation_page(pk, viewer=viewer)
    organisation = organisation_page.organisation
    return render(
        request,
        "mutuals/organisations/detail.html",
        {
            "page": organisation_page,
            "organisation": organisation,
            "may_see_returns": allowed_in(viewer, "view", "observation", organisation.pk),
            "may_upload_returns": allowed_in(viewer, "create", "submission", organisation.pk),
            "latest_returns": latest_returns(organisation, viewer=viewer),
            "breadcrumbs": [("Home", reverse("home")), ("Organisations", reverse("organisations"))],
        },
    )
