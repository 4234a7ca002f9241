"""The audit trail: one append-only event per sign-in, sign-out, failed sign-in and change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from mutuals.accounts.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for every field whose value changed."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(after.get(name))]
        for name in sorted(set(before) | set(after))
        if _jsonable(before.get(name)) != _jsonable(after.get(name))
    }


def record(
    action: str,
    *,
    user=None,
    username: str = "",
    obj=None,
    organisation=None,
    changes: dict | None = None,
    object_type: str = "",
) -> AuditEvent:
    if user is not None and getattr(user, "is_authenticated", False):
        username = username or user.get_username()
    else:
        user = None
    return AuditEvent.objects.create(
        action=action,
        user=user,
        username=username[:254],
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        organisation=organisation,
        changes=changes or {},
    )


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record("sign-in", user=user)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    record("sign-out", user=user)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    record("sign-in-failed", username=str(credentials.get("username", "")))
