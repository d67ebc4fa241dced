"""Participation's part of a household's page: what the musyawarah kelurahan decided on it, forum by
forum (the same records the verification and the rules' lists read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("participation.decisions", order=30, template="participation/_household_decisions.html")
def decisions(user: User, household: Household, members: list[Member]) -> dict[str, Any] | None:
    rows = list(selectors.decisions_of_household(user, household.pk))
    return {"decisions": rows} if rows else None
