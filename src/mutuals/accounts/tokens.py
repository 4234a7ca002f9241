"""Creating and revoking personal API tokens, audited: the CLI and the account page share
these."""

from __future__ import annotations

from mutuals.accounts import audit
from mutuals.accounts.models import ApiToken

COMMAND_LINE = "(command line)"


def create_token(owner, scopes: list[str], *, name: str = "", by=None) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the record and the token, to be shown once.
    ``by`` is who asked (None: the command line). Raises ValueError for unknown scopes."""
    record, token = ApiToken.objects.issue(owner, scopes, name=name)
    audit.record(
        "api-token.create",
        user=by,
        username="" if by else COMMAND_LINE,
        obj=record,
        changes={"owner": [None, owner.get_username()], "scopes": [None, record.scopes]},
    )
    return record, token


def revoke_token(record: ApiToken, *, by=None) -> None:
    record.revoke()
    audit.record(
        "api-token.revoke",
        user=by,
        username="" if by else COMMAND_LINE,
        obj=record,
        changes={"owner": [record.user.get_username(), None]},
    )
