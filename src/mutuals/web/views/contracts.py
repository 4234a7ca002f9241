"""The contract journey: list contracts, then read one's terms, objectives and objectives
audit, and, for those who may see the provider's returns, its savings against the
counterfactual."""

import copy
import functools

from django.http import QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from mutuals.accounts.models import AuditEvent
from mutuals.accounts.permissions import allowed_in, can, viewer_for, visible
from mutuals.contracts import queries, relationships
from mutuals.contracts.audit import TEST_CODES, audit_contract
from mutuals.contracts.savings import ContractSavings, contract_savings
from mutuals.registry.queries import programme_choices
from mutuals.reports.sentences import savings_sentence
from mutuals.web.components import paginate, pagination
from mutuals.web.contract_table import (
    SHORT_LABELS,
    ContractTableForm,
    contract_table,
    contracts_csv,
    sort_headers,
    test_field,
)
from mutuals.web.kept import kept

MAX_KEPT_PAGE = 100


def contract_list(request):
    viewer = viewer_for(request)
    # Only the parameters the page reads: links on it repeat them, and nothing else.
    scoped = copy.copy(request)
    scoped.GET = QueryDict(mutable=True)
    for name in (*ContractTableForm.base_fields, *map(test_field, TEST_CODES), "page"):
        scoped.GET.setlist(name, request.GET.getlist(name))
    form = ContractTableForm(scoped.GET, viewer=viewer, programmes=programme_choices())
    if request.GET.get("download") == "csv":
        return contracts_csv(contract_table(viewer, form.filters()))
    make = functools.partial(_contract_list, scoped, viewer, form)
    page = scoped.GET.get("page", "1")
    # Kept for the choices the form offers, a page at a time; a search's free text, or a
    # value the form refuses, is made live, so no one can fill the cache with variants.
    if form.filters()["q"] or form.errors or not (page.isdigit() and int(page) <= MAX_KEPT_PAGE):
        title, body = make()
    else:
        title, body = kept("contracts", (viewer.signature, sorted(scoped.GET.lists())), make)
    return render(
        request,
        "mutuals/contracts/list.html",
        {"title": title, "body": mark_safe(body), "breadcrumbs": [("Home", reverse("home"))]},
    )


def _contract_list(request, viewer, form: ContractTableForm) -> tuple[str, str]:
    """The page's title and its table with filters, for the viewer's roles and the query."""
    filters = form.filters()
    table = contract_table(viewer, filters)
    page = paginate(request, table.rows)
    may_create = any(
        allowed_in(viewer, "create", "contract", pk) for pk in viewer.holding("commissioner")
    )
    download = request.GET.copy()
    download.pop("page", None)
    download["download"] = "csv"
    body = render_to_string(
        "mutuals/contracts/list_body.html",
        {
            "form": form,
            "filters": filters,
            "table": table,
            "headers": sort_headers(request, table),
            "test_labels": [(code, SHORT_LABELS[code]) for code in TEST_CODES],
            "tests_filtered": any(filters[test_field(code)] for code in TEST_CODES),
            "own_commissioners": _own_commissioners(viewer),
            "download_href": "?" + download.urlencode(),
            "page": page,
            "pagination": pagination(request, page),
            "may_create": may_create,
        },
    )
    pages = page.paginator.num_pages
    title = f"Contracts (page {page.number} of {pages})" if page.number > 1 else "Contracts"
    return title, body


def _own_commissioners(viewer) -> list:
    """The viewer's commissioning organisations, for a "your contracts" link."""
    return list(
        visible(viewer, "organisation")
        .filter(pk__in=viewer.holding("commissioner"))
        .order_by("name")
        .values("pk", "name")
    )


def contract_detail(request, pk: int):
    viewer = viewer_for(request)
    contract_page = queries.contract_page(pk, viewer=viewer)
    contract = contract_page.contract
    may_see_returns = allowed_in(viewer, "view", "observation", contract.provider_id)
    savings = contract_savings(contract) if contract_page.baseline and may_see_returns else None
    # A contract's history is its commissioners' own record, whether or not the provider
    # has confirmed them yet (the provider's other events are not).
    may_see_audit = viewer.is_auditor or contract.pk in viewer.commissioned_contract_ids
    audit_events = AuditEvent.objects.filter(object_type="contract", object_id=str(contract.pk))
    if not may_see_audit:
        audit_events = audit_events.none()
    return render(
        request,
        "mutuals/contracts/detail.html",
        {
            "page": contract_page,
            "contract": contract,
            "may_change": can(viewer, "change", contract),
            "audit": audit_contract(contract),
            "savings": savings,
            "savings_sentence": (
                savings_sentence(savings) if isinstance(savings, ContractSavings) else None
            ),
            "may_see_returns": may_see_returns,
            "audit_events": list(audit_events.select_related("user")[:50]),
            "may_see_audit": may_see_audit,
            "unconfirmed": relationships.unconfirmed_for(viewer, contract.provider_id),
            "breadcrumbs": [("Home", reverse("home")), ("Contracts", reverse("contracts"))],
        },
    )
