from __future__ import annotations

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import client_ip

# Behind a reverse proxy that sets X-Forwarded-For, set ENTAS_TRUST_X_FORWARDED_FOR=1 so the audit
# trail records the citizen's or operator's address rather than the proxy's.
TRUST_FORWARDED = os.environ.get("ENTAS_TRUST_X_FORWARDED_FOR", "") in {"1", "true", "yes"}


def request_ip(request: HttpRequest) -> str | None:
    if TRUST_FORWARDED:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Makes the client address available to services for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(request_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
