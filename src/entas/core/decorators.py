"""View decorators. The core knows capabilities only by their value (``"registry.view"``): the roles
that grant them live in :mod:`entas.accounts.roles`, whose ``Capability`` members are such values."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

if TYPE_CHECKING:
    from entas.accounts.models import User

# Capabilities the core's own pages need (values of entas.accounts.roles.Capability; a test checks).
RUN_JOBS = "jobs.run"
VIEW_AUDIT = "audit.view"


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login: its user is an entas User (for type checking)."""

    user: User


def require(
    capability: str | tuple[str, ...], *, post: str | tuple[str, ...] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log-in required, then 403 unless the user's role grants ``capability`` (or one of a tuple).

    ``post``: what a POST to the page needs besides (a page that shows to viewers and acts for
    managers): a viewer's POST is refused with 403 before the view runs, whatever the services would
    say (they check again)."""
    wanted = capability if isinstance(capability, tuple) else (capability,)
    writes = (post,) if isinstance(post, str) else post

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not any(request.user.can(c) for c in wanted):  # type: ignore[union-attr]
                raise PermissionDenied
            if writes and request.method == "POST" and not any(request.user.can(c) for c in writes):  # type: ignore[union-attr]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
