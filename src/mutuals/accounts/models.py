"""Who may do what (roles held in organisations), invitations, and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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
