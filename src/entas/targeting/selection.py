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
    codes, index = np.unique(np.asarray(area).astype(str), return_inverse=True)

    def per_area(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(index[mask], weights=None if weights is None else weights[mask], minlength=codes.size)

    selected = selection.selected
    added = (selection.source == "community_added") & selected
    columns = {
        "eligible_households": per_area(selection.eligible),
        "selected_households": per_area(selected),
        "selected_people": per_area(selected, np.asarray(size, dtype=float)),
        "community_added": per_area(added),
        "community_removed": per_area(selection.source == "community_removed"),
        "budget_cut": per_area(selection.source == "budget_cut"),
    }
    return [{"area": str(code), **{k: int(v[i]) for k, v in columns.items()}} for i, code in enumerate(codes)]
