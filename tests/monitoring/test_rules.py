"""Pure rules of monitoring: traffic lights and alert conditions (no database)."""

from __future__ import annotations

import pytest

from entas.monitoring import rules


@pytest.mark.parametrize(
    ("value", "target", "higher", "light"),
    [
        (95, 90, True, "green"),
        (88, 90, True, "amber"),  # 2 points short of 90: within 5 % of the target
        (80, 90, True, "red"),
        (2.1, 2.2, False, "green"),
        (2.3, 2.2, False, "amber"),
        (3.0, 2.2, False, "red"),
        (None, 2.2, False, "grey"),
        (2.0, None, False, "grey"),
        (0.5, 0.0, False, "amber"),  # a zero target: tolerance in points
    ],
)
def test_traffic_light(value: float | None, target: float | None, higher: bool, light: str) -> None:
    assert rules.traffic_light(value, target, higher_is_better=higher) == light


@pytest.mark.parametrize(
    ("kind", "threshold", "value", "target", "higher", "expected"),
    [
        ("above", 2.5, 2.6, None, False, True),
        ("above", 2.5, 2.5, None, False, False),
        ("below", 80, 79.9, None, True, True),
        ("off_track", 5, 84, 90, True, True),
        ("off_track", 5, 86, 90, True, False),
        ("off_track", 0.1, 2.4, 2.2, False, True),
        ("off_track", 5, 80, None, True, False),  # no target: nothing to be off
        ("data_gap", 0, None, None, True, True),
        ("data_gap", 0, 1.0, None, True, False),
        ("below", 80, None, None, True, False),
    ],
)
def test_alert_conditions(
    kind: str, threshold: float, value: float | None, target: float | None, higher: bool, expected: bool
) -> None:
    assert rules.breached(rules.AlertFacts(kind, threshold, value, target, higher)) is expected


def test_an_unknown_alert_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        rules.breached(rules.AlertFacts("sideways", 0, 1.0, None, True))
