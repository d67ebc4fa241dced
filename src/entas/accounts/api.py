"""API authentication by role: the session's user, refused with 403 before anything else runs (before
the request body is even read) when the role does not grant what the route needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import SessionAuth

SAFE = {"GET", "HEAD", "OPTIONS"}


class RoleAuth(SessionAuth):
    """Session authentication (with CSRF) that also needs one of ``view`` for reading and one of
    ``write`` (default: ``view``) for any other method."""

    def __init__(self, view: tuple[str, ...], write: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.view = view
        self.write = write or view

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None  # 401: sign in
        needed = self.view if request.method in SAFE else self.write
        if not any(user.can(c) for c in needed):
            raise HttpError(403, "forbidden")
        return user
