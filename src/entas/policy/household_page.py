"""The policy register's part of a household's page: its benefit timeline across every programme kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("policy.timeline", order=25, template="policy/_household_timeline.html")
def timeline(user: User, household: Household, members: list[Member]) -> dict[str, Any]:
    # The page is already kept to the user's areas: whoever may open the household sees what it received.
    return {"timeline": selectors.benefit_timeline(household)}
