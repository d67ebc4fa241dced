"""Pure rules of monitoring: traffic lights against targets and alert conditions (no database)."""

from __future__ import annotations

from dataclasses import dataclass

GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"


def traffic_light(value: float | None, target: float | None, *, higher_is_better: bool, tolerance: float = 5.0) -> str:
    """Green when the target is met, amber when missed by at most ``tolerance`` percent of the
    target (or points when the target is 0), red beyond, grey without a value or target."""
    if value is None or target is None:
        return GREY
    gap = (value - target) if higher_is_better else (target - value)
    if gap >= 0:
        return GREEN
    allowed = abs(target) * tolerance / 100 if target else tolerance
    return AMBER if -gap <= allowed else RED


@dataclass(frozen=True)
class AlertFacts:
    kind: str  # above, below, off_track, data_gap
    threshold: float
    value: float | None
    target: float | None
    higher_is_better: bool


def breached(facts: AlertFacts) -> bool:
    """Whether an alert rule is breached by the latest value."""
    if facts.kind == "data_gap":
        return facts.value is None
    if facts.value is None:
        return False
    if facts.kind == "above":
        return facts.value > facts.threshold
    if facts.kind == "below":
        return facts.value < facts.threshold
    if facts.kind == "off_track":
        if facts.target is None:
            return False
        gap = (facts.target - facts.value) if facts.higher_is_better else (facts.value - facts.target)
        return gap > facts.threshold
    raise ValueError(f"unknown alert kind {facts.kind!r}")
