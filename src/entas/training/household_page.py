"""Training's part of a household's page: the courses its members applied for, and how each ended
(the person's benefit timeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.accounts.scoping import can_act_in
from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("training.history", order=25, template="training/_household_training.html")
def training(user: User, household: Household, members: list[Member]) -> dict[str, Any] | None:
    rows = selectors.training_of_members(user, [m.pk for m in members])
    if rows is None:
        return None
    open_cohorts = None
    if selectors.can_apply(user) and can_act_in(user, household.kelurahan):
        open_cohorts = list(selectors.open_cohorts(user))
    return {
        "training": rows,
        "household": household,
        "open_cohorts": open_cohorts,
        "current_members": [m for m in members if m.exited_on is None],
    }
