from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .context import channel, client_ip
from .errors import Refused


def request_ip(request: HttpRequest) -> str | None:
    """The client's address, for the audit trail and the login lockout (``AXES_CLIENT_IP_CALLABLE``).

    Behind ENTAS_TRUST_X_FORWARDED_FOR = N reverse proxies, each appends the address it saw to
    X-Forwarded-For, so the client is the N-th entry from the right; the entries to its left are
    whatever the client wrote and are ignored (the first entry is anyone's to forge). A header with
    fewer entries, or an entry that is not an IP address, did not come through the expected chain:
    the connection's own address is used. Without trusted proxies the header is ignored.
    """
    proxies: int = settings.ENTAS_TRUST_X_FORWARDED_FOR
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies and _is_ip(hops[-proxies]):
            return hops[-proxies]
    remote = request.META.get("REMOTE_ADDR") or ""
    return remote if _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy (``SECURE_CSP``) and Permissions-Policy (``ENTAS_PERMISSIONS_POLICY``)
    to every response, static files and error pages included (it is the outermost middleware).

    The policy allows scripts, styles, fonts and connections from entas itself only: no inline
    script, event-handler attribute, inline style or eval, so an injected ``<script>`` or ``onerror=``
    that slipped past escaping does not run. Templates put data in ``<script type="application/json">``
    and behaviour in static files; Vega evaluates chart expressions with its interpreter, not
    ``Function``. A response that already carries a header keeps it. ``SECURE_CSP`` has the shape of
    Django 6's setting of that name, so this class can give way to Django's own middleware there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = "; ".join(
            " ".join([directive, *sources]) for directive, sources in getattr(settings, "SECURE_CSP", {}).items()
        )
        self.permissions = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in getattr(settings, "ENTAS_PERMISSIONS_POLICY", {}).items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


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
    English browsers, yet the city works in Indonesian, so only an explicit choice changes it. A
    machine client of the API (a request with an ``Authorization`` header) makes that choice with its
    ``Accept-Language`` header: there, it is written by the integrator, not by a browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not chosen and "Authorization" in request.headers and request.path.startswith("/api/"):
            chosen = translation.get_language_from_request(request)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language") if request.path.startswith("/api/") else ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
