"""A request id for every request: in the logs of everything the request does, and in the
response's ``X-Request-ID`` header, so a report of a problem can be found in the logs."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("request_id", default="")
# A proxy's own id is kept when it looks like one (letters, digits, a few marks), so one
# request can be followed from the load balancer through Mutuals.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class RequestId:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _ACCEPTABLE.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
