"""The account journeys: sign in and out, your account and the name you are shown under,
password reset and invitations.

Every form shown again with its errors answers 400. Signing in is guarded twice: django-axes
locks an account after too many wrong passwords for it (from anywhere), and
:mod:`mutuals.accounts.throttle` slows an address that fails too often (whichever accounts it
tries), without locking any account."""

from __future__ import annotations

from axes.utils import reset as unlock_account
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy

from mutuals.accounts import names, services, throttle
from mutuals.accounts.forms import (
    AcceptInvitationForm,
    ChoosePasswordForm,
    DisplayNameForm,
    InvitationForm,
    ResetForm,
    SignInForm,
)
from mutuals.accounts.models import Role, TokenScope
from mutuals.accounts.permissions import viewer_for
from mutuals.accounts.tokens import create_token, revoke_token
from mutuals.registry.models import Organisation

T = "mutuals/accounts/"


def invalid_status(form) -> int:
    """The status of a page showing ``form``: 400 once it has errors to show."""
    return 400 if form.errors else 200


class ErrorsAnswer400:
    """For Django's form views: a form shown again with its errors answers 400."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = invalid_status(form)
        return response


class SignInView(ErrorsAnswer400, auth_views.LoginView):
    template_name = T + "sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = throttle.wait_seconds(request)
        if wait is not None:
            return slowed(request, wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.count_failure(self.request)
        return super().form_invalid(form)


def slowed(request, wait: int):
    """Too many failed attempts from this address this minute: wait, nothing is locked."""
    response = render(request, T + "slowed.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to an attempt on a locked account (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "hours": settings.AXES_COOLOFF_TIME,
    }
    return render(request, T + "locked.html", context, status=429)


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class ResetView(ErrorsAnswer400, auth_views.PasswordResetView):
    template_name = T + "password_reset.html"
    form_class = ResetForm
    email_template_name = T + "password_reset_email.txt"
    subject_template_name = T + "password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = T + "password_reset_sent.html"


class ResetConfirmView(ErrorsAnswer400, auth_views.PasswordResetConfirmView):
    template_name = T + "password_choose.html"
    form_class = ChoosePasswordForm
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form):
        """A new password, proven by the emailed link, also unlocks the account: the
        locked page offers this way back in."""
        response = super().form_valid(form)
        unlock_account(username=form.user.get_username())
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = T + "password_reset_complete.html"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="What the token is for",
        max_length=100,
        help_text="For example, nightly returns from our finance system",
        error_messages={"required": "Enter what the token is for"},
    )
    scopes = forms.MultipleChoiceField(
        label="What the token may do",
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one thing the token may do"},
    )


@login_required
def account(request):
    viewer = viewer_for(request)
    roles = Role.objects.filter(user=request.user).select_related("organisation")
    if request.method == "POST" and "revoke_token" in request.POST:
        return _revoke_own_token(request)
    token_form, new_token = ApiTokenForm(request.POST or None), None
    if request.method == "POST" and token_form.is_valid():
        data = token_form.cleaned_data
        _, new_token = create_token(
            request.user, data["scopes"], name=data["name"], by=request.user
        )
        token_form = ApiTokenForm()
    response = render(
        request,
        T + "account.html",
        {
            "roles": roles,
            "shown_name": names.display_name(request.user),
            "has_display_name": names.has_display_name(request.user),
            "may_invite": bool(services.roles_to_offer(viewer)),
            "token_form": token_form,
            "new_token": new_token,
            "api_tokens": request.user.api_tokens.filter(revoked_at__isnull=True),
        },
        status=400 if token_form.errors else 200,
    )
    response["Cache-Control"] = "no-store"  # the page may show a new token, once
    return response


def _revoke_own_token(request):
    token = request.user.api_tokens.filter(
        prefix=request.POST["revoke_token"], revoked_at__isnull=True
    ).first()
    if token is not None:
        revoke_token(token, by=request.user)
        messages.success(request, f"Token {token.prefix} is revoked")
    return redirect("account")


@login_required
def change_display_name(request):
    current = names.display_name(request.user) if names.has_display_name(request.user) else ""
    form = DisplayNameForm(
        request.POST if request.method == "POST" else None,
        initial={"display_name": current},
    )
    if request.method == "POST" and form.is_valid():
        name = names.set_display_name(request.user, form.cleaned_data["display_name"])
        messages.success(request, f"Your name is saved: you are shown as {name}")
        return redirect("account")
    crumbs = [("Home", reverse("home")), ("Your account", reverse("account"))]
    return render(
        request,
        T + "display_name.html",
        {
            "form": form,
            "breadcrumbs": crumbs,
            "has_display_name": bool(current),
            "shown_name": names.display_name(request.user),
        },
        status=400 if form.errors else 200,
    )


def _organisations_to_offer(viewer) -> list[tuple[int, str]]:
    organisations = Organisation.objects.order_by("name")
    if not viewer.is_auditor:
        organisations = organisations.filter(pk__in=viewer.holding("provider_manager"))
    return list(organisations.values_list("pk", "name"))


@login_required
def invite(request):
    viewer = viewer_for(request)
    roles = services.roles_to_offer(viewer)
    if not roles:
        raise PermissionDenied
    form = InvitationForm(
        request.POST if request.method == "POST" else None,
        roles=roles,
        organisations=_organisations_to_offer(viewer),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = Organisation.objects.filter(pk=data["organisation"]).first()
        services.invite(
            viewer,
            request.user,
            data["email"],
            data["role"],
            organisation,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        messages.success(request, f"Invitation sent to {data['email']}")
        return redirect("invitation-sent")
    return render(request, T + "invite.html", {"form": form}, status=invalid_status(form))


@login_required
def invitation_sent(request):
    return render(request, T + "invitation_sent.html")


def accept_invitation(request, token: str):
    try:
        invitation = services.open_invitation(token)
    except services.InvitationInvalid as error:
        return render(request, T + "invitation_invalid.html", {"reason": str(error)}, status=400)
    form = AcceptInvitationForm(
        services.new_user_for(invitation), request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.accept(token, form)
        except services.InvitationInvalid as error:
            return render(
                request, T + "invitation_invalid.html", {"reason": str(error)}, status=400
            )
        messages.success(request, "Your password is set. Sign in to continue.")
        return redirect(reverse("sign-in"))
    return render(
        request,
        T + "invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=invalid_status(form),
    )
