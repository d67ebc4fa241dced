"""From a rule to a list of households: eligibility, community adjustment, quotas and a budget cap.
Pure numpy; the order of selection is deterministic (score, then household id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Selection:
    eligible: np.ndarray  # bool per household: the rule says yes
    selected: np.ndarray  # bool per household: finally on the list
    source: np.ndarray  # "rule", "community_added", "community_removed", "budget_cut" or ""
    cost: int  # Rp per month of the selected households

    def counts(self) -> dict[str, int]:
        values, counts = np.unique(self.source[self.source != ""], return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def select(
    eligible: np.ndarray,
    *,
    household_ids: np.ndarray,
    score: np.ndarray,
    benefit: int,
    added: set[int] | None = None,
    removed: set[int] | None = None,
    budget: int | None = None,
    quota: int | None = None,
) -> Selection:
    """Rule-eligible households, plus the community's additions, minus its removals; then, if a budget
    (Rp per month) or a quota (households) is set, the poorest by score first until it is used up.
    Community additions are kept within the budget first: the forum's decision is not cut silently."""
    added = added or set()
    removed = removed or set()
    is_added = np.isin(household_ids, list(added))
    is_removed = np.isin(household_ids, list(removed))
    source = np.full(household_ids.size, "", dtype=object)
    source[eligible] = "rule"
    candidates = (eligible | is_added) & ~is_removed
    source[is_added & ~eligible] = "community_added"
    source[is_removed & eligible] = "community_removed"
    # Poorest first: missing scores last; ties by household id (deterministic).
    order_score = np.where(np.isnan(score), np.inf, score)
    order = np.lexsort((household_ids, order_score, ~is_added))
    ranked = order[candidates[order]]
    limit = ranked.size
    if benefit > 0 and budget is not None:
        limit = min(limit, budget // benefit)
    if quota is not None:
        limit = min(limit, quota)
    selected = np.zeros(household_ids.size, dtype=bool)
    selected[ranked[:limit]] = True
    source[ranked[limit:]] = "budget_cut"
    return Selection(eligible, selected, source, int(selected.sum()) * benefit)


def summary_by_area(selection: Selection, area: np.ndarray, size: np.ndarray) -> list[dict[str, Any]]:
    """Selected households and people per area, with the community's part shown separately."""
    out = []
    for code in sorted(set(area.tolist())):
        mask = area == code
        out.append(
            {
                "area": code,
                "eligible_households": int((selection.eligible & mask).sum()),
                "selected_households": int((selection.selected & mask).sum()),
                "selected_people": int(size[selection.selected & mask].sum()),
                "community_added": int(((selection.source == "community_added") & selection.selected & mask).sum()),
                "community_removed": int(((selection.source == "community_removed") & mask).sum()),
                "budget_cut": int(((selection.source == "budget_cut") & mask).sum()),
            }
        )
    return out
