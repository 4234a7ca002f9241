"""``/healthz`` and ``/readyz`` for a load balancer (see :mod:`mutuals.operations.health`)."""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mutuals.operations.health import readiness

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = readiness()
    ready = all(c.ok for c in checks)
    if not ready:
        logger.warning("not ready: %s", ", ".join(c.name for c in checks if not c.ok))
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {c.name: {"ok": c.ok, "ms": c.milliseconds} for c in checks},
    }
    return JsonResponse(body, status=200 if ready else 503)
