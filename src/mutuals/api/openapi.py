"""The OpenAPI document, as ninja writes it plus what ninja cannot say on its own.

Errors are ``application/problem+json``; 401 carries ``WWW-Authenticate``, 429
``Retry-After`` and 201/202 ``Location``; each operation names the token scope it
needs, and an operation the public may call without a token says so with an empty
security requirement.
"""

from __future__ import annotations

from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.schema import NinjaGenerateJsonSchema

from mutuals.api.errors import MEDIA_TYPE
from mutuals.api.schemas import RETURNS_SUBMISSION

SCHEME = "bearerToken"

_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": "Bearer challenge.",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the rate limit resets.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
    201: {
        "Location": {"description": "Where to read what was created.", "schema": {"type": "string"}}
    },
    202: {"Location": {"description": "Where to follow the run.", "schema": {"type": "string"}}},
}


class Document(OpenAPISchema):
    def responses(self, operation) -> dict:
        result = super().responses(operation)
        for status, details in result.items():
            if status >= 400 and "content" in details:
                (schema,) = details["content"].values()
                details["content"] = {MEDIA_TYPE: schema}
            if status in _HEADERS:
                details["headers"] = _HEADERS[status]
        return result

    def operation_security(self, operation) -> list[dict] | None:
        result = []
        for auth in operation.auth_callbacks:
            self.securitySchemes[SCHEME] = auth.openapi_security_schema
            result.append({SCHEME: [auth.scope]})
            if auth.public:
                result.append({})
        return result or None

    def get_components(self) -> dict:
        components = super().get_components()
        schema = RETURNS_SUBMISSION.json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
        )
        self.add_schema_definitions(schema.pop("$defs", {}))
        self.schemas["ReturnsSubmission"] = schema
        return components
