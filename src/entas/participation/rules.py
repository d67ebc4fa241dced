"""The rules of community participation, pure: plain facts in, a decision out (no ORM, no request).

- :func:`overrides`: what a rule's list takes from the musyawarah decisions, in the order they were
  taken (a later forum supersedes an earlier one; striking a household off the registry's list takes
  it off every rule's list until a later forum puts it back).
- :func:`verification_effect`: what a decision on the registry's list does to the household's
  verification.
- :func:`decision_problems`: why a decision cannot be recorded as given.
- :func:`attendance_total`: the attendance of a forum by sex.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

ADD, REMOVE, KEEP = "add", "remove", "keep"
RATIFIED = "disahkan"


@dataclass(frozen=True)
class DecisionFacts:
    """One decision as the rules see it: the household, whether it is on a rule's list (else the
    registry's), and the action; given in the order the forums were held."""

    household: int
    on_rule: bool
    action: str


def overrides(decisions: Iterable[DecisionFacts]) -> tuple[set[int], set[int]]:
    """The households added to and removed from a rule's selection by ``decisions`` (the rule's own
    and the registry list's, oldest first). A rule's decision sets the household's state (``keep``
    clears it); a removal from the registry's list removes the household from the rule's list too,
    and a later add or keep on the registry's list lifts that removal."""
    state: dict[int, str] = {}
    struck: dict[int, bool] = {}
    for d in decisions:
        if d.on_rule:
            struck[d.household] = False
            if d.action == KEEP:
                state.pop(d.household, None)
            else:
                state[d.household] = d.action
        elif d.action == REMOVE:
            struck[d.household] = True
        else:
            struck[d.household] = False
    added = {h for h, a in state.items() if a == ADD and not struck.get(h)}
    removed = {h for h, a in state.items() if a == REMOVE} | {h for h, s in struck.items() if s}
    return added, removed


def verification_effect(action: str, status: str) -> tuple[bool | None, str]:
    """For a decision on the registry's list: whether to confirm (True) or reject (False) the
    household in the verification, or nothing (None) — and the effect recorded on the decision.
    A ratified household is not changed: the decision waits for the next update of the list."""
    if status == RATIFIED:
        return None, "ratified"
    return action != REMOVE, "applied"


def decision_problems(*, action: str, reason: str, held_on: dt.date, today: dt.date) -> list[str]:
    """Why a decision cannot be recorded (empty: it can)."""
    problems: list[str] = []
    if action not in (ADD, REMOVE, KEEP):
        problems.append(_("The decision is add, remove or keep."))
    if action in (ADD, REMOVE) and not reason.strip():
        problems.append(_("Give the reason for adding or removing the household."))
    if held_on > today:
        problems.append(_("The forum is on %(date)s: record its decisions once it has been held.") % {"date": held_on})
    return problems


def attendance_total(groups: Mapping[str, tuple[int, int]]) -> tuple[int, int, int]:
    """Men, women and everyone who attended, from each group's (men, women)."""
    men = sum(m for m, _w in groups.values())
    women = sum(w for _m, w in groups.values())
    return men, women, men + women
