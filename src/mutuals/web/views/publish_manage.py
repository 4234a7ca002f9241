"""Preparing a draft, publishing it and withdrawing it, for commissioners and auditors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import viewer_for
from mutuals.publishing import services, withdrawal
from mutuals.publishing.errors import CannotWithdraw, NotAllowed, PublishingError
from mutuals.registry.models import Organisation, OrganisationKind, Programme
from mutuals.registry.queries import programme_choices
from mutuals.web.publishing_forms import PrepareForm, WithdrawForm
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
        programmes=programme_choices(),
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


@login_required
def withdraw(request, pk: int):
    """The confirmation page with the reason; the withdrawal itself only by POST."""
    item = item_for(request, pk)
    viewer = viewer_for(request)
    if not withdrawal.may_withdraw(viewer, request.user, item):
        raise PermissionDenied(withdrawal.NOT_ALLOWED)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    problem = withdrawal.problem(item)
    if request.method == "POST" and not problem and form.is_valid():
        try:
            withdrawal.withdraw(viewer, request.user, item, form.cleaned_data["reason"])
        except CannotWithdraw as error:
            problem = str(error)
        else:
            messages.success(
                request, "It is withdrawn. Its pages stay where they were, with your reason."
            )
            return redirect(item.get_absolute_url())
    if problem:
        form = WithdrawForm()  # nothing to correct in the reason: it cannot be withdrawn
    latest = services.version_of(item)  # readers' title, not a draft's
    title = latest.title if latest else item.title
    return render(
        request,
        "mutuals/publishing/withdraw.html",
        {
            "item": item,
            "title": title,
            "form": form,
            "problem": problem,
            "problems": [("#main-content", problem)] if problem else [],
            "breadcrumbs": [
                ("Home", reverse("home")),
                ("Published", reverse("publications")),
                (title, item.get_absolute_url()),
            ],
        },
        status=409 if problem else 400 if form.errors else 200,
    )
