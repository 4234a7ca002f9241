"""Preparing a draft and publishing it, for commissioners and auditors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import viewer_for
from mutuals.publishing import services
from mutuals.publishing.errors import NotAllowed, PublishingError
from mutuals.registry.models import Organisation, OrganisationKind, Programme
from mutuals.web.publishing_forms import PrepareForm
from mutuals.web.views.publishing import item_detail, item_for


@login_required
def prepare(request):
    viewer = viewer_for(request)
    providers = [
        (pk, name)
        for pk, name in Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
        .order_by("name")
        .values_list("pk", "name")
        if services.may_publish(viewer, "scorecard", pk)
    ]
    kinds_allowed = [k for k in ("portfolio", "evaluation") if services.may_publish(viewer, k)]
    if not providers and not kinds_allowed:
        raise PermissionDenied("Your roles do not allow you to publish anything.")
    form = PrepareForm(
        request.POST or None,
        providers=providers,
        programmes=list(Programme.objects.order_by("name").values_list("code", "name")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = Organisation.objects.filter(pk=data["provider"]).first()
        programme = Programme.objects.filter(code=data["programme"]).first()
        try:
            item = services.prepare(
                viewer,
                request.user,
                data["kind"],
                organisation=organisation,
                programme=programme,
                title=data["title"],
                summary=data["summary"],
            )
        except PublishingError as error:
            form.add_error("kind", str(error))
        else:
            messages.success(request, "The draft is ready: check it, then publish it.")
            return redirect(item.get_absolute_url())
    return render(
        request,
        "mutuals/publishing/prepare.html",
        {
            "form": form,
            "breadcrumbs": [("Home", reverse("home")), ("Published", reverse("publications"))],
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def publish(request, pk: int):
    item = item_for(request, pk)
    try:
        version = services.publish(viewer_for(request), request.user, item)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except PublishingError as error:
        return item_detail(request, pk, status=409, publish_error=str(error))
    messages.success(request, f"Version {version.version} is published.")
    return redirect(item.get_absolute_url())
