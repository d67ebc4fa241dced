"""Deduplication's part of a household's page: a "possible duplicate" badge beside each member with
an open pair the user may review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("dedup.member_pairs", order=10)
def member_pairs(user: User, household: Household, members: list[Member]) -> dict[str, Any] | None:
    if not user.can(Capability.CHANGE_REGISTRY):
        return None
    pairs = selectors.open_pairs_by_member(user, [m.pk for m in members])
    label = _("possible duplicate")
    return {"member_links": {member: [(reverse("dedup:pair", args=[pair]), label)] for member, pair in pairs.items()}}
