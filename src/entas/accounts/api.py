"""API authentication: a browser's session (with CSRF) or a machine client's token
(``Authorization: Bearer entas_…``, or an OAuth access token: :mod:`entas.accounts.oauth`), then the
role check, refused with 403 before anything else runs
(before the request body is even read) when the role does not grant what the route needs.

A token acts as its user: the same role, areas and checks as the user's pages, narrowed further by
the token's scopes (:mod:`entas.accounts.scopes`), and limited in rate. A token's read of personal
data is audited (``api.read``) like a page view.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from entas.core import audit
from entas.core.context import client_ip
from entas.core.errors import Problem, Refused

from . import oauth, scopes, tokens

SAFE = {"GET", "HEAD", "OPTIONS"}


def _check_role(user: Any, request: HttpRequest, view: tuple[str, ...] | None, write: tuple[str, ...] | None) -> None:
    if view is None:
        return
    needed = view if request.method in SAFE else (write or view)
    if not any(user.can(c) for c in needed):
        raise HttpError(403, "forbidden")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: a live token whose scopes cover the path, then the role."""

    def __init__(self, view: tuple[str, ...] | None = None, write: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.view = view
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        found = tokens.authenticate(token, client_ip=client_ip.get())
        access: oauth.Access | None = None
        if found is not None:
            granted, user, label = list(found.scopes), found.user, f"token {found.prefix}"
        else:
            access = oauth.check_access_token(token) if oauth.looks_like_jwt(token) else None
            if access is None:
                # A wrong token is an answer, not a reason to try the session.
                raise AuthenticationError()
            granted, user, label = access.scopes, access.client.user, f"oauth {access.client.client_id}"
        write = request.method not in SAFE
        family = scopes.family_of(request.path)
        if family is None or not scopes.allows(granted, family, write=write):
            need = scopes.needed(family, write=write) if family else ""
            message = (
                _("This token's scopes do not allow this: it needs %(scope)s.") % {"scope": need}
                if need
                else _("Tokens cannot use this part of the API.")
            )
            raise Refused(message, code="forbidden", issues=[Problem("scope", need)])
        if found is not None:
            tokens.throttle(found)
            request.api_token = found  # type: ignore[attr-defined]
        elif access is not None:
            tokens.count(f"oauth-client:{access.client.pk}", access.client.rate_limit or tokens.default_rate_limit())
            request.oauth_client = access.client  # type: ignore[attr-defined]
        request.user = user
        _check_role(user, request, self.view, self.write)
        if not write and family in scopes.PERSONAL:
            query = request.META.get("QUERY_STRING", "")
            audit.record(
                actor=user,
                action="api.read",
                object_type="api",
                object_repr=(request.path + ("?" + query if query else ""))[:200],
                note=label,
            )
        return user


class SessionRoleAuth(SessionAuth):
    """Session authentication (with CSRF) that also needs one of ``view`` for reading and one of
    ``write`` (default: ``view``) for any other method; with ``view`` None, any signed-in user."""

    def __init__(self, view: tuple[str, ...] | None = None, write: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.view = view
        self.write = write

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None  # 401: sign in
        if getattr(user, "is_service_account", False):
            return None  # a service account has no session; should one exist, it is not honoured
        _check_role(user, request, self.view, self.write)
        return user


class RoleAuth(list[Any]):
    """A token or a session, with the role check: ``Router(auth=RoleAuth(view, write))``.

    It is the list of both methods (ninja tries each in turn, and documents both in the schema)."""

    def __init__(self, view: tuple[str, ...], write: tuple[str, ...] | None = None) -> None:
        super().__init__([TokenAuth(view, write or view), SessionRoleAuth(view, write or view)])
        self.view = view
        self.write = write or view


def signed_in() -> list[Any]:
    """Any signed-in user, by token or session (the API's default)."""
    return [TokenAuth(), SessionRoleAuth()]
