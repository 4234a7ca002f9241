"""GOV.UK Frontend components, rendered fast.

The components are govuk-frontend-django's dataclasses, rendered through the
GOV.UK Frontend Jinja macros (govuk-frontend-jinja), so the markup follows the
Design System exactly. govuk-frontend-django builds a new Jinja environment and
recompiles the macros on every render (40-90 ms a component); here one
environment and the compiled macros are kept for the life of the process.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Any

import jinja2
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from govuk_frontend_django.components.base import GovUKComponent
from govuk_frontend_django.components.pagination import GovUKPagination
from govuk_frontend_django.components.service_navigation import GovUKServiceNavigation

PER_PAGE = 50
NAVIGATION = [
    ("Home", "home"),
    ("Organisations", "organisations"),
    ("Contracts", "contracts"),
    ("Published", "publications"),
]


@functools.cache
def _environment() -> jinja2.Environment:
    loader = jinja2.PrefixLoader(
        {"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja")}
    )
    return jinja2.Environment(loader=loader, autoescape=True)


@functools.cache
def _macro(template_name: str, macro_name: str) -> jinja2.Template:
    source = f"{{%- from '{template_name}' import {macro_name} -%}}{{{{ {macro_name}(data) }}}}"
    return _environment().from_string(source)


def _without_nones(value: Any) -> Any:
    """The macros test for missing keys, so None-valued parameters are dropped."""
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


def render(component: GovUKComponent) -> SafeString:
    """The component's HTML, from the GOV.UK Frontend macro it names."""
    data = _without_nones(dataclasses.asdict(component))
    template = _macro(component._jinja2_template, component._macro_name)
    return mark_safe(template.render(data=data))


def build(name: str, **parameters: Any) -> GovUKComponent:
    """A govuk-frontend-django component by its Design System name, such as 'inset-text'."""
    module = importlib.import_module(f"govuk_frontend_django.components.{name.replace('-', '_')}")
    return module.COMPONENT(**parameters)


def service_navigation(
    path: str | None,
    signed_in: bool = False,
    extra: tuple[tuple[str, str], ...] = (),
    sign_out: str | None = None,
) -> SafeString:
    """The service name as a plain text wordmark, and the sections, the current one marked
    (``extra`` sections are those only some people may use); last, "Your account" for a
    signed-in person, else "Sign in", then the ``sign_out`` form's HTML when given."""
    items = []
    account = ("Your account", "account") if signed_in else ("Sign in", "sign-in")
    for text, name in [*NAVIGATION, *extra, account]:
        href = reverse(name)
        here = path == href
        within = path is not None and (here or (href != "/" and path.startswith(href)))
        items.append({"text": text, "href": href, "active": within, "current": here})
    return render(
        GovUKServiceNavigation(
            serviceName="Mutuals",
            serviceUrl=reverse("home"),
            navigation=items,
            slots={"navigationEnd": sign_out} if sign_out else None,
        )
    )


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PER_PAGE) -> Page:
    """The page the request asks for; a missing or bad number gives the nearest real page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def pagination(request: HttpRequest, page: Page) -> SafeString | None:
    """GOV.UK pagination links that keep the request's other parameters (its filters)."""
    if page.paginator.num_pages < 2:
        return None

    def href(number: int) -> str:
        query: QueryDict = request.GET.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    items: list[dict] = []
    last_shown = 0
    for number in _numbers_to_show(page.number, page.paginator.num_pages):
        if number > last_shown + 1:
            items.append({"ellipsis": True})
        items.append(
            {"number": str(number), "href": href(number), "current": number == page.number}
        )
        last_shown = number
    return render(
        GovUKPagination(
            items=items,
            previous={"href": href(page.number - 1)} if page.has_previous() else None,
            next={"href": href(page.number + 1)} if page.has_next() else None,
        )
    )


def _numbers_to_show(current: int, last: int) -> list[int]:
    """First, last, and the pages either side of the current one."""
    return sorted({1, last, *range(max(1, current - 1), min(last, current + 1) + 1)})
