"""The campaigns' part of a household's page: the events its members attended (the benefit timeline of
awareness campaigns), for whoever may open the household."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("outreach.attendance", order=45, template="outreach/_household_attendance.html")
def attendance(user: User, household: Household, members: list[Member]) -> dict[str, Any] | None:
    # The page is already kept to the user's areas: whoever may open the household sees what it attended.
    found = selectors.attendance_of(household)
    if not found:
        return None
    return {"attendance": found}
