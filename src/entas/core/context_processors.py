"""The navigation: modules shown to the signed-in user, by what their role allows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability

# (url name, label, capability needed — or one of several, or None)
MODULES = [
    ("home", _("Summary"), Capability.VIEW_SUMMARY),
    ("registry:household_list", _("Registry"), Capability.VIEW_REGISTRY),
    ("registry:change_requests", _("Approvals"), Capability.APPROVE_REGISTRY),
    ("registry:ratification", _("Ratification"), Capability.APPROVE_REGISTRY),
    ("monitoring:poverty_profile", _("Poverty profile"), Capability.VIEW_SUMMARY),
    ("targeting:report", _("Targeting"), (Capability.VIEW_ANALYTICS, Capability.MANAGE_PROGRAMMES)),
    ("targeting:overrides", _("Musyawarah decisions"), Capability.CHANGE_REGISTRY),
    ("dedup:queue", _("Duplicates"), Capability.CHANGE_REGISTRY),
    (
        "programs:list",
        _("Programmes"),
        (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_AUDIT),
    ),
    ("programs:affected", _("Affected households"), Capability.CHANGE_REGISTRY),
    ("jobs:list", _("Jobs"), None),
    ("audit:list", _("Audit trail"), Capability.VIEW_AUDIT),
    ("accounts:user_list", _("Users"), Capability.MANAGE_USERS),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_modules": [], "caps": frozenset()}
    items = [
        {"url_name": name, "label": label}
        for name, label, capability in MODULES
        if capability is None
        or any(user.can(c) for c in (capability if isinstance(capability, tuple) else (capability,)))
    ]
    # The capability values the user holds, for templates: {% if "registry.change" in caps %}
    caps = frozenset(c.value for c in Capability if user.can(c))
    return {"nav_modules": items, "nav_admin": user.is_staff, "caps": caps}
