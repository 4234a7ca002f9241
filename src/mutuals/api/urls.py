"""The API's URLs: ninja's operations, an index at the root, and a problem for the rest.

Ninja answers a known path asked with the wrong method with a bare 405, and Django
answers an unknown path with the site's HTML 404; under ``/api/v1/`` both become
problems too.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt

from mutuals.api.api import api
from mutuals.api.errors import TYPE_ROOT, TYPES, ApiProblem, render

ROOT = "/api/v1/"


def _problem_for_wrong_method(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            problem = ApiProblem(
                405,
                "method-not-allowed",
                f"{request.method} is not allowed here: use {allowed}.",
                headers={"Allow": allowed},
            )
            return render(request, problem)
        return response

    wrapped.csrf_exempt = True
    return wrapped


def index(request):
    """Where to start: the document and each collection."""
    collections = ("organisations", "programmes", "metrics", "contracts", "returns")
    collections += ("evaluations", "alerts", "events")
    return JsonResponse(
        {
            "openapi": request.build_absolute_uri(ROOT + "openapi.json"),
            **{name: request.build_absolute_uri(ROOT + name) for name in collections},
        }
    )


def problem_type(request, slug: str):
    """What a problem ``type`` means, for the developer who follows the link."""
    if slug not in TYPES:
        return render(request, ApiProblem(404, "not-found", f"There is no problem type {slug!r}."))
    title, description = TYPES[slug]
    return JsonResponse({"type": TYPE_ROOT + slug, "title": title, "description": description})


@csrf_exempt
def unmatched(request, rest: str = ""):
    detail = f"There is nothing at {request.path}: see {ROOT}openapi.json for every path."
    trimmed = request.path.rstrip("/")
    if trimmed != request.path:
        try:
            resolve(trimmed)
        except Resolver404:
            pass
        else:
            detail = f"There is nothing at {request.path}: did you mean {trimmed}?"
    return render(request, ApiProblem(404, "not-found", detail))


def _patterns():
    patterns, app_name, namespace = api.urls
    kept = []
    for pattern in patterns:
        if pattern.name == "api-root":
            continue
        pattern.callback = _problem_for_wrong_method(pattern.callback)
        kept.append(pattern)
    kept.append(path("", index, name="api-root"))
    kept.append(path("problems/<slug:slug>", problem_type, name="problem-type"))
    return kept, app_name, namespace


urlpatterns = [
    path(ROOT.lstrip("/"), _patterns()),
    re_path(r"^api/v1/(?P<rest>.*)$", unmatched),
]
