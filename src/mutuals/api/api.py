"""The REST API, version 1: one NinjaAPI with a router per domain.

Read ``/api/v1/openapi.json`` for every operation, parameter, response and error.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import ValidationError

from mutuals.api import errors
from mutuals.api.listing import refuse_unknown_parameters
from mutuals.api.openapi import Document
from mutuals.api.ratelimit import PerTokenRate
from mutuals.api.routers import (
    alerts,
    contracts,
    engagement,
    evaluations,
    governance,
    register,
    reports,
    returns,
)
from mutuals.api.routers import ballots as ballots_router
from mutuals.api.routers import events as events_router
from mutuals.api.routers import publishing as publishing_router

DESCRIPTION = """\
Organisations, programmes, metrics, contracts with their objectives, returns,
evaluation runs and monitoring alerts, seen exactly as the token's owner sees them
on the web.

**Tokens.** Send `Authorization: Bearer <token>`. Create a token with
`mutuals create-token USERNAME --scopes read,submit-returns` or on your account page;
it is shown once. Scopes: `read`, `submit-returns`, `evaluate`, `comment`, `book-events`
(book and cancel places at events), and `admin` (all of them). Without a token you may
read what the public may: the register, contracts and published learning events.

**Lists** are in a stable order by a unique key (the id; programmes and metrics by
code; returns by organisation, metric and period); `limit` (at most 1000) and `offset`
page through them, and `next` links to the following page (null on the last).

**Errors** are `application/problem+json` (RFC 9457): `type`, `title`, `status`,
`detail`, `instance`, and `errors` naming each bad `row`, `field` and `message`.

**Rate limit**: API_RATE_LIMIT requests a minute per token (or address); then 429
with `Retry-After`.
"""


class MutualsAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return Document(api=self, path_prefix=path_prefix)

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    def validation_error_from_error_contexts(self, error_contexts) -> ValidationError:
        """Ninja's own, but keeping each error's input so the message can show it."""
        found = []
        for context in error_contexts:
            model = context.model
            reverse = model.__ninja_flatten_map_reverse__
            for error in context.pydantic_validation_error.errors(include_url=False):
                error = dict(error)
                error["loc"] = (model.__ninja_param_source__,) + reverse.get(
                    error["loc"], error["loc"]
                )
                error.pop("ctx", None)
                found.append(error)
        return ValidationError(found)


api = MutualsAPI(
    title="Mutuals API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,
    throttle=[PerTokenRate()],
)
errors.install(api)
api.add_decorator(refuse_unknown_parameters)
api.add_router("/", register.router)
api.add_router("/", governance.router)
api.add_router("/", contracts.router)
api.add_router("/", returns.router)
api.add_router("/", evaluations.router)
api.add_router("/", alerts.router)
api.add_router("/", reports.router)
api.add_router("/", publishing_router.router)
api.add_router("/", engagement.router)
api.add_router("/", ballots_router.router)
api.add_router("/", events_router.router)
