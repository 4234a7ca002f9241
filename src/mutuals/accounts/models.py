"""Who may do what (roles held in organisations), invitations, the audit trail and API
tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from mutuals.registry.models import Organisation


class RoleName(models.TextChoices):
    COMMISSIONER = "commissioner", "Commissioner"
    PROVIDER_MANAGER = "provider_manager", "Provider manager"
    PROVIDER_STAFF = "provider_staff", "Provider staff member"
    AUDITOR = "auditor", "Auditor"


class Role(models.Model):
    """One role a person holds: in an organisation, or (an auditor) across all of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(max_length=20, choices=RoleName.choices)

    class Meta:
        ordering = ["role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="one_role_per_organisation"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(organisation__isnull=True),
                name="one_role_without_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(role="auditor") | models.Q(organisation__isnull=False),
                name="only_auditors_without_organisation",
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation.name if self.organisation_id else "all organisations"
        return f"{self.get_role_display()} ({where})"


class Invitation(models.Model):
    """An email address invited to a role; the emailed link is signed and works once."""

    email = models.EmailField()
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=20, choices=RoleName.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()}"


class AuditEvent(models.Model):
    """Append-only: who did what, when, to which record, and what changed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The provider the changed record belongs to, for scoping who may read it.",
    )
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or 'someone'} {self.action}"


class TokenScope(models.TextChoices):
    READ = "read", "Read what you may see"
    SUBMIT_RETURNS = "submit-returns", "Submit returns"
    EVALUATE = "evaluate", "Start evaluation runs"
    COMMENT = "comment", "Comment on published material"
    BOOK_EVENTS = "book-events", "Book and cancel places at events"
    ADMIN = "admin", "Everything the other scopes allow"


TOKEN_PREFIX = "mut_"


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256. Tokens are 256 random bits, so a plain hash
    cannot be reversed or guessed, and lookups stay one indexed query."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenManager(models.Manager):
    def issue(self, user, scopes, name: str = "") -> tuple[ApiToken, str]:
        """A new token for ``user``: the stored record and the token itself, which is shown
        once and never kept."""
        unknown = sorted(set(scopes) - set(TokenScope.values))
        if unknown or not scopes:
            known = ", ".join(TokenScope.values)
            raise ValueError(f"unknown scope {', '.join(unknown) or '(none given)'}: use {known}")
        prefix = TOKEN_PREFIX + secrets.token_hex(4)
        token = f"{prefix}_{secrets.token_urlsafe(32)}"
        ordered = [scope for scope in TokenScope.values if scope in set(scopes)]
        record = self.create(
            user=user,
            name=name[:100],
            prefix=prefix,
            digest=token_digest(token),
            scopes=",".join(ordered),
        )
        return record, token

    def usable(self, token: str) -> ApiToken | None:
        """The unrevoked token of an active user that ``token`` is, if any."""
        return (
            self.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )


class ApiToken(models.Model):
    """A personal API token: acts as its user, within its scopes. Only a hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(
        max_length=12, unique=True, help_text="The token's first characters, to recognise it by."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.CharField(
        max_length=100, help_text="Comma-separated: read, submit-returns, evaluate, admin."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"

    @property
    def scope_list(self) -> list[str]:
        return [scope for scope in self.scopes.split(",") if scope]

    def allows(self, scope: str) -> bool:
        held = self.scope_list
        return scope in held or TokenScope.ADMIN in held

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
