from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .context import channel, client_ip
from .errors import Refused

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
        channel_token = channel.set("api" if request.path.startswith("/api/") else "web")
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
            channel.reset(channel_token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The pages' handler of a service's refusal (the API has its own, commands theirs).

        A refused POST returns to the page it came from with the reason on top (nothing was written:
        the service's transaction rolled back); a refused GET, and a step the user may not take at all
        (forbidden, not found), show the reason with the code's status.
        """
        if not isinstance(exception, Refused) or request.path.startswith("/api/"):
            return None
        not_at_all = exception.status in (403, 404)
        if request.method == "POST" and not not_at_all and not request.headers.get("HX-Request"):
            messages.error(request, exception.message)
            return redirect(request.get_full_path())
        return render(request, "core/refused.html", {"refusal": exception}, status=exception.status)


class LanguageMiddleware:
    """Indonesian unless the user chose English with the language switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; office PCs often ship with
    English browsers, yet the city works in Indonesian, so only an explicit choice changes it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
