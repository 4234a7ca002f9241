"""Who is calling: a personal token sent as ``Authorization: Bearer <token>``, or nobody.

Each operation declares the scope it needs (``read``, ``submit-returns``, ``evaluate``;
``admin`` holds them all) and whether the public may call it without a token. The
caller's :class:`~mutuals.accounts.permissions.Viewer` is built from the token's user
exactly as the web builds it from the signed-in person, so the API sees and may do
what that person sees and may do on the web, and never more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer

from mutuals.accounts.models import ApiToken, TokenScope
from mutuals.accounts.permissions import ANONYMOUS, Viewer, viewer_for_user
from mutuals.api.errors import ApiProblem

# Recording every request's time would write on every read; once a minute is enough.
LAST_USED_PRECISION = timedelta(minutes=1)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mutuals"'}
INVALID = {"WWW-Authenticate": 'Bearer realm="mutuals", error="invalid_token"'}


@dataclass(frozen=True)
class Caller:
    """The token (None for an anonymous caller), its user and what that user may see."""

    viewer: Viewer
    token: ApiToken | None = None
    address: str = ""

    @property
    def user(self):
        return self.token.user if self.token is not None else None

    @property
    def rate_key(self) -> str:
        return f"token:{self.token.pk}" if self.token is not None else f"ip:{self.address}"


class BearerToken(HttpBearer):
    """Ninja's bearer scheme, refusing with a problem that says what to do."""

    openapi_bearerFormat = "mut_…"
    openapi_description = (
        "A personal API token. Create one with `mutuals create-token USERNAME --scopes read` "
        "or on your account page; it is shown once."
    )

    def __init__(self, scope: str, *, public: bool = False) -> None:
        super().__init__()
        self.scope = TokenScope(scope).value
        self.public = public

    def __call__(self, request) -> Caller:
        header = request.headers.get(self.header, "")
        if not header:
            if self.public:
                return Caller(ANONYMOUS, address=request.META.get("REMOTE_ADDR", ""))
            raise ApiProblem(
                401,
                "unauthorized",
                "This needs an API token: send it as 'Authorization: Bearer <token>'.",
                headers=CHALLENGE,
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiProblem(
                401,
                "unauthorized",
                "Send the token as 'Authorization: Bearer <token>'.",
                headers=INVALID,
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token: str) -> Caller:
        record = ApiToken.objects.usable(token)
        if record is None:
            raise ApiProblem(
                401,
                "unauthorized",
                "This token is not valid: it is mistyped, revoked, or its owner's account "
                "is deactivated. Create a new one.",
                headers=INVALID,
            )
        if not record.allows(self.scope):
            held = ", ".join(record.scope_list)
            raise ApiProblem(
                403,
                "missing-scope",
                f"This needs a token with the {self.scope} scope; token {record.prefix} has "
                f"{held}. Create a token with --scopes {self.scope}.",
            )
        _note_use(record)
        return Caller(viewer_for_user(record.user), record, request.META.get("REMOTE_ADDR", ""))


def _note_use(record: ApiToken) -> None:
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now


def caller(request) -> Caller:
    return request.auth


READ = BearerToken("read")
PUBLIC_READ = BearerToken("read", public=True)
SUBMIT_RETURNS = BearerToken("submit-returns")
EVALUATE = BearerToken("evaluate")
