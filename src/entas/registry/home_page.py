"""The registry's part of the home page (entas.core.home): change requests and ratification."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home

from . import selectors


@home.contribute("registry.work", order=20)
def registry_work(user: Any) -> list[home.Item]:
    if not (user.can(Capability.APPROVE_REGISTRY) or user.can(Capability.CHANGE_REGISTRY)):
        return []
    counts = selectors.home_counts(user)
    items = []
    if user.can(Capability.APPROVE_REGISTRY):
        items.append(
            home.Item(
                _("Family changes waiting for your approval"), counts["to_decide"], reverse("registry:change_requests")
            )
        )
        items.append(
            home.Item(
                _("Verified households waiting for ratification"), counts["to_ratify"], reverse("registry:ratification")
            )
        )
    if user.can(Capability.CHANGE_REGISTRY):
        items.append(
            home.Item(
                _("Your change requests waiting for a second person"),
                counts["mine_waiting"],
                reverse("registry:change_requests") if user.can(Capability.APPROVE_REGISTRY) else "",
            )
        )
    return items
