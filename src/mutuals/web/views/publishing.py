"""Published material for everyone: the list with filters (withdrawn material apart), an
item's page (its version, history, related material and comments, and the notice if the
version shown was withdrawn) and a version's frozen report as a download."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_GET

from mutuals.accounts.permissions import viewer_for, visible
from mutuals.publishing import comments, services, version_pdfs, withdrawal
from mutuals.publishing.models import Item, ItemStatus
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.registry.queries import programme_choices
from mutuals.reports import CONTENT_TYPES, download, impact
from mutuals.web.components import paginate, pagination
from mutuals.web.publishing_forms import CommentForm, PublishedFilterForm


def published_list(request):
    form = PublishedFilterForm(
        request.GET,
        providers=list(
            Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
            .order_by("name")
            .values_list("pk", "name")
        ),
        programmes=programme_choices(),
    )
    filters = form.filters()
    items = _filtered(
        services.published_items().prefetch_related("providers", "programmes"), filters
    )
    page = paginate(request, items.order_by("-last_published_at", "-pk"))
    viewer = viewer_for(request)
    return render(
        request,
        "mutuals/publishing/list.html",
        {
            "form": form,
            "page": page,
            "pagination": pagination(request, page),
            "withdrawn": _filtered(services.withdrawn_items(), filters),
            "may_prepare": services.may_prepare_any(viewer),
            "breadcrumbs": [("Home", reverse("home"))],
        },
    )


def _filtered(items, filters: dict):
    if filters["provider"]:
        items = items.filter(providers__pk=filters["provider"])
    if filters["programme"]:
        items = items.filter(programmes__code=filters["programme"])
    if filters["kind"]:
        items = items.filter(kind=filters["kind"])
    return items.distinct()


def item_for(request, pk: int):
    """The item if the viewer may see it (published or withdrawn, or a draft they may
    publish); 404 otherwise, saying nothing of it."""
    viewer = viewer_for(request)
    item = get_object_or_404(Item, pk=pk)
    if item.status == ItemStatus.DRAFT:
        seen = services.may_publish_item(viewer, item)
    else:
        seen = visible(viewer, "publication").filter(pk=pk).exists()
    if not seen:
        raise Http404("No such publication")
    return item


def item_detail(
    request, pk: int, version: int | None = None, comment_form=None, status=200, publish_error=None
):
    item = item_for(request, pk)
    viewer = viewer_for(request)
    shown = services.version_of(item, version)
    if version is not None and shown is None:
        raise Http404("No such version")
    moderator = comments.may_moderate(viewer, request.user, item)
    context = {
        "item": item,
        "shown": shown,
        "is_latest": shown is not None and shown.version == item.latest_version,
        "versions": item.versions.select_related("published_by", "withdrawn_by").order_by(
            "-version"
        ),
        "related": [] if item.is_draft else services.related(item),
        "comments": comments.shown_comments(item, moderator=moderator),
        "moderator": moderator,
        "open_reports": comments.open_reports(item) if moderator else [],
        "may_publish": services.may_publish_item(viewer, item),
        "may_withdraw": item.is_published and withdrawal.may_withdraw(viewer, request.user, item),
        "comment_form": comment_form or CommentForm(ask_name=comments.asks_name(request.user)),
        "follow": _follow_links(item),
        "publish_error": publish_error,
        "publish_problems": [("#main-content", publish_error)] if publish_error else [],
        "grade_scale": impact.GRADE_SCALE,
        "breadcrumbs": [("Home", reverse("home")), ("Published", reverse("publications"))],
    }
    return render(request, "mutuals/publishing/item.html", context, status=status)


def _follow_links(item) -> list[tuple[str, str]]:
    links = []
    for provider in item.providers.order_by("name")[:3]:
        links.append((provider.name, f"{reverse('subscribe')}?follow=provider:{provider.pk}"))
    for programme in item.programmes.order_by("name")[:3]:
        links.append((programme.name, f"{reverse('subscribe')}?follow=programme:{programme.code}"))
    return links


def version_detail(request, pk: int, version: int):
    return item_detail(request, pk, version)


def _document_version(request, pk: int, version: int):
    item = item_for(request, pk)
    shown = services.version_of(item, version)
    if shown is None or not shown.document_html:
        raise Http404("This version has no report document")
    return item, shown


def version_document(request, pk: int, version: int, format_: str):
    """A version's frozen report, exactly as it was published (the PDF made from that HTML
    by a worker, once); if that version was withdrawn, with the notice saying when and why
    at its top. A PDF not made yet is queued, and the reader told it is being prepared."""
    if format_ not in CONTENT_TYPES:
        raise Http404("This version has no report document")
    item, shown = _document_version(request, pk, version)
    document = version_pdfs.served(shown)
    cache_control = version_pdfs.cache_control(item, shown)
    unchanged = get_conditional_response(request, etag=document.etag)
    if unchanged is not None:
        return _cached(unchanged, document, cache_control)
    content = document.html if format_ == "html" else version_pdfs.stored_pdf(document.digest)
    if content is None:
        version_pdfs.queue(shown, document)
        return _preparing(request, item, shown)
    filename = f"{shown.data.get('filename', 'report')}-v{shown.version}"
    response = download(content, format_, filename, cache_control=cache_control)
    return _cached(response, document, cache_control)


def _cached(response, document, cache_control: str):
    response["ETag"] = document.etag
    response["Cache-Control"] = cache_control
    return response


def _preparing(request, item, shown):
    """The page said while a version's PDF is being made: 202, never stored on the way."""
    response = render(
        request,
        "mutuals/publishing/pdf_preparing.html",
        {
            "item": item,
            "shown": shown,
            "breadcrumbs": [
                ("Home", reverse("home")),
                ("Published", reverse("publications")),
                (shown.title, shown.get_absolute_url()),
            ],
        },
        status=202,
    )
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = "10"
    return response


@require_GET
def version_pdf_status(request, pk: int, version: int):
    """Whether a version's PDF is ready, as JSON, for the waiting page's progress script."""
    _, shown = _document_version(request, pk, version)
    ready = version_pdfs.is_made(version_pdfs.served(shown).digest)
    response = JsonResponse({"status": "done" if ready else "queued"})
    response["Cache-Control"] = "no-store"
    return response
