"""Invitations: who may invite whom, the signed single-use link, and accepting it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts import audit
from mutuals.accounts.models import Invitation, Role, RoleName
from mutuals.accounts.permissions import Viewer, allowed_in
from mutuals.errors import MutualsError

SALT = "mutuals.accounts.invitation"
PROVIDER_ROLES = (RoleName.PROVIDER_MANAGER, RoleName.PROVIDER_STAFF)


class InvitationInvalid(MutualsError):
    """The link is not one Mutuals sent, has expired, or has been used."""


def roles_to_offer(viewer: Viewer) -> list[str]:
    if viewer.is_auditor:
        return list(RoleName.values)
    if viewer.holding(RoleName.PROVIDER_MANAGER):
        return list(PROVIDER_ROLES)
    return []


def may_invite(viewer: Viewer, role: str, organisation_id: int | None) -> bool:
    if viewer.is_auditor:
        return True
    return (
        role in PROVIDER_ROLES
        and organisation_id is not None
        and allowed_in(viewer, "create", "invitation", organisation_id)
    )


def token_for(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(invitation.pk))


@transaction.atomic
def invite(viewer: Viewer, by, email: str, role: str, organisation=None, *, base_url: str):
    organisation_id = organisation.pk if organisation is not None else None
    if not may_invite(viewer, role, organisation_id):
        raise PermissionDenied("You cannot invite people to that role")
    invitation = Invitation.objects.create(
        email=email.lower(), role=role, organisation=organisation, invited_by=by
    )
    link = base_url + reverse("invitation-accept", args=[token_for(invitation)])
    where = f" at {organisation.name}" if organisation is not None else ""
    send_mail(
        "You have been invited to Mutuals",
        f"You have been invited to Mutuals as {invitation.get_role_display().lower()}{where}.\n\n"
        f"Choose a password to accept: {link}\n\n"
        f"The link works once and for {settings.INVITATION_MAX_AGE_DAYS} days.",
        None,
        [invitation.email],
    )
    audit.record("invitation.create", user=by, obj=invitation, organisation=organisation)
    return invitation


def open_invitation(token: str) -> Invitation:
    """The invitation a link names, if it is genuine, in date and unused."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 24 * 60 * 60
    try:
        pk = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise InvitationInvalid("This invitation link has expired") from None
    except signing.BadSignature:
        raise InvitationInvalid("This invitation link is not valid") from None
    invitation = Invitation.objects.filter(pk=int(pk)).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation link has already been used")
    return invitation


def new_user_for(invitation: Invitation):
    model = get_user_model()
    return model.objects.filter(username=invitation.email).first() or model(
        username=invitation.email, email=invitation.email
    )


@transaction.atomic
def accept(token: str, password_form) -> object:
    """Save the password (and, from the accept form, the name to be shown under), grant
    the role, and spend the invitation, as one change."""
    invitation = open_invitation(token)
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise InvitationInvalid("This invitation link has already been used")
    user = password_form.save()
    Role.objects.get_or_create(user=user, role=locked.role, organisation=locked.organisation)
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    audit.record("invitation.accept", user=user, obj=locked, organisation=locked.organisation)
    return user
