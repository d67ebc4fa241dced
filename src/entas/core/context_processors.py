"""What every page's template knows of the signed-in user: the menu and their capabilities."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import navigation


def navigation_menu(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_modules": [], "caps": frozenset()}
    items = [{"url_name": e.url_name, "label": e.label} for e in navigation.entries_for(user)]
    # The capability values the user holds, for templates: {% if "registry.change" in caps %}
    return {"nav_modules": items, "nav_admin": user.is_staff, "caps": user.capability_values()}
