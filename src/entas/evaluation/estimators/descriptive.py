"""Before and after, with a comparison group: a descriptive report, labelled NOT causal."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .common import Result, vector

NOT_CAUSAL = (
    "Descriptive only, not a causal estimate: the change among participants minus the change among the "
    "comparison group says what moved, not what the programme caused (the groups may differ in ways "
    "that also change over time)."
)


def before_after(before: ArrayLike, after: ArrayLike, group: ArrayLike) -> Result:
    """Mean outcome before and after for the participants (group 1) and the comparison group (0), the
    change in each, and the difference of the changes with a Welch standard error of the two mean
    changes. Each row is one unit observed at both times."""
    b = vector(before, "before")
    a = vector(after, "after", b.size)
    g = vector(group, "group", b.size)
    if not np.all(np.isin(g, (0.0, 1.0))):
        raise ValueError("the group column must be 0 or 1")
    change = a - b
    rows: dict[str, dict[str, float]] = {}
    for value, label in ((1.0, "participants"), (0.0, "comparison")):
        mask = g == value
        if mask.sum() < 2:
            raise ValueError(f"fewer than two units in the {label} group")
        rows[label] = {
            "n": int(mask.sum()),
            "before": float(b[mask].mean()),
            "after": float(a[mask].mean()),
            "change": float(change[mask].mean()),
            "se_change": float(change[mask].std(ddof=1) / np.sqrt(mask.sum())),
        }
    effect = rows["participants"]["change"] - rows["comparison"]["change"]
    se = float(np.hypot(rows["participants"]["se_change"], rows["comparison"]["se_change"]))
    n = {
        "units": int(b.size),
        "participants": int(rows["participants"]["n"]),
        "comparison": int(rows["comparison"]["n"]),
    }
    result = Result.normal("before_after", effect, se, n, causal=False, warnings=[NOT_CAUSAL])
    result.diagnostics["groups"] = rows
    return result
