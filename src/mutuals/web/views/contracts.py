"""The contract journey: list contracts, then read one's terms and objectives."""

from django.shortcuts import render
from django.urls import reverse

from mutuals.contracts import queries
from mutuals.registry.queries import programme_choices
from mutuals.web.components import paginate, pagination
from mutuals.web.forms import ContractFilterForm


def contract_list(request):
    form = ContractFilterForm(request.GET, programmes=programme_choices())
    filters = form.filters()
    page = paginate(request, queries.search_contracts(filters["status"], filters["programme"]))
    return render(
        request,
        "mutuals/contracts/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "pagination": pagination(request, page),
            "breadcrumbs": [("Home", reverse("home"))],
        },
    )


def contract_detail(request, pk: int):
    contract_page = queries.contract_page(pk)
    return render(
        request,
        "mutuals/contracts/detail.html",
        {
            "page": contract_page,
            "contract": contract_page.contract,
            "breadcrumbs": [("Home", reverse("home")), ("Contracts", reverse("contracts"))],
        },
    )
