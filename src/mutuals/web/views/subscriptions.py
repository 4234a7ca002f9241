"""Following programmes, providers and alerts by email: subscribe (at once when signed in,
by a confirmation link otherwise), confirm, stop one, and one-click unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mutuals.publishing import subscriptions
from mutuals.publishing.errors import SubscriptionError
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.registry.queries import programme_choices
from mutuals.web.publishing_forms import SubscribeForm

CRUMBS = [("Home", "home"), ("Published", "publications")]


def _crumbs():
    return [(text, reverse(name)) for text, name in CRUMBS]


def subscribe(request):
    signed_in = request.user.is_authenticated
    data = request.POST if request.method == "POST" else None
    form = SubscribeForm(
        data,
        initial={"follow": request.GET.get("follow", "")},
        programmes=programme_choices(),
        providers=list(
            Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
            .order_by("name")
            .values_list("pk", "name")
        ),
        signed_in=signed_in,
    )
    if data is not None and form.is_valid():
        target, _, value = form.cleaned_data["follow"].partition(":")
        try:
            request_ = subscriptions.parse(
                target, value, form.cleaned_data["frequency"], signed_in=signed_in
            )
            if signed_in:
                subscriptions.follow_as_user(request.user, request_)
                messages.success(request, f"You now follow {request_.describe()}.")
                return redirect("subscribe")
            # Held back by the rate limit or not, the page says the same.
            subscriptions.request_by_email(
                form.cleaned_data["email"], request_, client=request.META.get("REMOTE_ADDR", "")
            )
        except SubscriptionError as error:
            form.add_error("follow", str(error))
        else:
            return render(
                request,
                "mutuals/publishing/subscribe_sent.html",
                {"email": form.cleaned_data["email"], "breadcrumbs": _crumbs()},
            )
    return render(
        request,
        "mutuals/publishing/subscribe.html",
        {
            "form": form,
            "subscriptions": subscriptions.subscriptions_of(request.user),
            "breadcrumbs": _crumbs(),
        },
        status=400 if form.errors else 200,
    )


def confirm(request, token: str):
    """The link in the confirmation email: a page with a button, so a mail scanner's
    visit confirms nothing."""
    error = None
    done = None
    if request.method == "POST":
        try:
            done = subscriptions.confirm(token)
        except SubscriptionError as problem:
            error = str(problem)
    return render(
        request,
        "mutuals/publishing/confirm.html",
        {"token": token, "done": done, "error": error, "breadcrumbs": _crumbs()},
        status=400 if error else 200,
    )


@csrf_exempt  # mail clients' one-click unsubscribe (RFC 8058) posts without a form
def unsubscribe(request, token: str):
    error = None
    stopped = None
    try:
        subscriber = subscriptions.subscriber_for_unsubscribe(token)
        if request.method == "POST":
            stopped = subscriptions.unsubscribe(token)
    except SubscriptionError as problem:
        error = str(problem)
        subscriber = None
    return render(
        request,
        "mutuals/publishing/unsubscribe.html",
        {
            "token": token,
            "subscriber": subscriber,
            "stopped": stopped,
            "error": error,
            "breadcrumbs": _crumbs(),
        },
        status=400 if error else 200,
    )


@require_POST
@login_required
def stop(request, subscription_id: int):
    subscriptions.stop(request.user, subscription_id)
    messages.success(request, "You no longer follow that.")
    return redirect("subscribe")
