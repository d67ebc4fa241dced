"""The economic-empowerment part of a household's page: the groups its members sit in and the help
those groups got (a benefit timeline), for whoever sees groups in the household's kelurahan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.accounts.roles import Capability
from entas.registry.household_page import contribute

from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("enterprise.groups", order=40, template="enterprise/_household_groups.html")
def groups(user: User, household: Household, members: list[Member]) -> dict[str, Any] | None:
    if not (user.can(Capability.MANAGE_TRAINING) or user.can(Capability.VIEW_AUDIT)):
        return None
    found = selectors.assistance_of(user, household)
    if not found["seats"]:
        return None
    timeline = sorted(
        [(s.joined_on, "seat", s) for s in found["seats"]]
        + [(g.handed_over_on, "grant", g) for g in found["grants"]]
        + [(ln.disbursed_on, "loan", ln) for ln in found["loans"]],
        key=lambda t: (t[0], t[1]),
    )
    return {"timeline": timeline}
