"""The programmes' part of a household's page: every cycle it was entitled to, and its payments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("programs.benefits", order=20, template="programs/_household_benefits.html")
def benefits(user: User, household: Household, members: list[Member]) -> dict[str, Any]:
    # The page is already kept to the user's areas: whoever may open the household sees what it was paid.
    return {"benefits": selectors.benefit_history(household)}
