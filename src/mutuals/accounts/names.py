"""The name a person is shown under on public pages, comments and the API.

People sign in with their email address, and invited accounts are made with the address
as the username, so neither may ever be shown publicly. The shown name is one the person
chose (asked for when they accept an invitation, or before their first comment, and
changed on their account page), kept in ``User.first_name``; anyone without one is shown
as :data:`FALLBACK`.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth import get_user_model
from django.db import transaction

from mutuals.accounts import audit
from mutuals.errors import MutualsError

FALLBACK = "A registered user"
MAX_LENGTH = 150  # User.first_name


class DisplayNameRejected(MutualsError):
    """The name cannot be shown: empty, too long, or looks like an email address."""


def display_name(user) -> str:
    """The person's chosen name, or the neutral :data:`FALLBACK` — never a username or
    email address."""
    if user is None:
        return FALLBACK
    name = _stored_name(user)
    if not name or _looks_like_email(name):
        return FALLBACK
    return name


def _looks_like_email(name: str) -> bool:
    return "@" in unicodedata.normalize("NFKC", name)  # also the full-width and small @


def has_display_name(user) -> bool:
    return user is not None and display_name(user) != FALLBACK


def clean_display_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise DisplayNameRejected("Enter the name to show with what you write")
    if len(name) > MAX_LENGTH:
        raise DisplayNameRejected(f"The name must be {MAX_LENGTH} characters or fewer")
    if _looks_like_email(name):
        raise DisplayNameRejected(
            "Enter a name, not an email address: the name is shown to everyone"
        )
    return name


def _stored_name(user) -> str:
    return " ".join(f"{user.first_name} {user.last_name}".split())


@transaction.atomic
def set_display_name(user, value: str) -> str:
    """Store the chosen name (in ``first_name``; ``last_name`` is cleared) and record the
    change, old and new name, in the audit trail. Choosing the name already held changes
    nothing and records nothing."""
    name = clean_display_name(value)
    stored = get_user_model().objects.select_for_update().get(pk=user.pk)
    old = _stored_name(stored)
    user.first_name, user.last_name = name, ""
    if stored.first_name == name and not stored.last_name:
        return name
    user.save(update_fields=["first_name", "last_name"])
    audit.record(
        "display-name.change",
        user=user,
        obj=stored,
        changes={"display_name": [old or None, name]},
    )
    return name
