"""Deduplication's part of the home page (entas.core.home): pairs waiting for a reviewer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home

from . import selectors


@home.contribute("dedup.pairs", order=30)
def pairs_to_review(user: Any) -> list[home.Item]:
    if not user.can(Capability.CHANGE_REGISTRY):
        return []
    count = selectors.queue_for(user).order_by().count()
    return [home.Item(_("Possible duplicate people to review"), count, reverse("dedup:queue"))]
