"""Pure rules of cash programmes: entitlement amounts and the cycle state machine (no Django)."""

from __future__ import annotations

import numpy as np

# A cycle's period: year and month, YYYY-MM.
PERIOD = r"\d{4}-(0[1-9]|1[0-2])"

TRANSITIONS: dict[str, dict[str, str]] = {
    # action: {from state: to state}
    "submit": {"draft": "to_approve"},
    "approve": {"to_approve": "approved"},
    "disburse": {"approved": "disbursed"},
    "reconcile": {"disbursed": "reconciled"},
    "close": {"reconciled": "closed"},
    "cancel": {"draft": "cancelled", "to_approve": "cancelled"},
}


def next_state(state: str, action: str) -> str | None:
    """The state after ``action``, or None when the action is not allowed from ``state``."""
    return TRANSITIONS.get(action, {}).get(state)


def entitlements(
    *,
    base: int,
    per_child_in_school: int,
    per_elderly: int,
    per_disabled: int,
    cap: int | None,
    months: int,
    children_in_school: np.ndarray,
    elderly: np.ndarray,
    disabled: np.ndarray,
) -> np.ndarray:
    """Amount per household for one cycle, in whole rupiah, vectorised:
    min(cap, base + per_child × children in school + per_elderly × elderly + per_disabled × disabled) × months."""
    monthly = (
        base
        + per_child_in_school * np.asarray(children_in_school, dtype=np.int64)
        + per_elderly * np.asarray(elderly, dtype=np.int64)
        + per_disabled * np.asarray(disabled, dtype=np.int64)
    )
    if cap is not None:
        monthly = np.minimum(monthly, cap)
    return monthly.astype(np.int64) * months
