"""The API's documentation for people, at ``/api/v1/docs``: the OpenAPI document read out
as a GOV.UK page — every operation by topic, with its parameters, body, token scope and
answers — served from our own templates within the site's content security policy.
"""

from __future__ import annotations

from functools import cache

from django.shortcuts import render
from django.urls import reverse

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_type(schema: dict, components: dict) -> str:
    """A short name for a parameter's type: 'integer', 'string (date)', 'one of a, b'."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            kinds = [_schema_type(s, components) for s in schema[key] if s.get("type") != "null"]
            return " or ".join(dict.fromkeys(kinds)) or "null"
    kind = schema.get("type", "object")
    if kind == "array":
        return f"list of {_schema_type(schema.get('items', {}), components)}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _operation(path: str, method: str, spec: dict, components: dict) -> dict:
    security = spec.get("security")
    scopes = sorted({scope for need in security or [] for scopes in need.values()
                     for scope in scopes})  # fmt: skip
    public = security is not None and {} in security
    return {
        "id": spec.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "summary": spec.get("summary", ""),
        "description": spec.get("description", ""),
        "who": "Anyone, or a token"
        if public
        else ("A token with the scope " + " or ".join(scopes) if scopes else "A token"),
        "parameters": [
            {
                "name": p["name"],
                "where": p["in"],
                "required": p.get("required", False),
                "type": _schema_type(p.get("schema", {}), components),
                "description": p.get("description", "")
                or p.get("schema", {}).get("description", ""),
            }
            for p in spec.get("parameters", [])
        ],
        "body": sorted(spec.get("requestBody", {}).get("content", {})),
        "responses": [
            {"status": status, "description": answer.get("description", "")}
            for status, answer in sorted(spec.get("responses", {}).items())
        ],
    }


@cache
def topics() -> tuple[dict, list[dict]]:
    """The document's info and its operations grouped by tag, in the document's order."""
    from mutuals.api.api import api

    document = api.get_openapi_schema()
    components = document.get("components", {})
    grouped: dict[str, list[dict]] = {}
    for path, methods in document["paths"].items():
        for method in METHODS:
            if method in methods:
                spec = methods[method]
                tag = (spec.get("tags") or ["Other"])[0]
                grouped.setdefault(tag, []).append(_operation(path, method, spec, components))
    return document["info"], [
        {"name": tag, "slug": tag.lower().replace(" ", "-"), "operations": operations}
        for tag, operations in grouped.items()
    ]


def api_docs(request):
    info, grouped = topics()
    return render(
        request,
        "mutuals/api_docs.html",
        {
            "info": info,
            "topics": grouped,
            "document_url": "/api/v1/openapi.json",
            "breadcrumbs": [("Home", reverse("home"))],
        },
    )
