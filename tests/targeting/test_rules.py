"""The eligibility rule language: every operator, aggregates over members, errors with positions,
and malicious input."""

from __future__ import annotations

import numpy as np
import pytest

from entas.targeting.rules import RuleError, compile_rule

# Three households; members: h0 has a child out of school and a disabled grandmother, h1 a working
# adult, h2 two children in school.
H = {
    "size": np.array([3.0, 1.0, 3.0]),
    "desil": np.array([2.0, 7.0, np.nan]),
    "dtsen_desil": np.array([1.0, 5.0, 3.0]),
    "has_car": np.array([False, True, False]),
    "kecamatan": np.array(["64.71.01", "64.71.05", "64.71.01"], dtype=object),
    "floor_area": np.array([30.0, 80.0, 45.0]),
}
M = {
    "household": np.array([0, 0, 0, 1, 2, 2, 2]),
    "age": np.array([40.0, 12.0, 70.0, 35.0, 38.0, 9.0, 7.0]),
    "in_school": np.array([False, False, False, False, False, True, True]),
    "disabled": np.array([False, False, True, False, False, False, False]),
    "working": np.array([True, False, False, True, False, False, False]),
    "female": np.array([False, True, True, False, True, False, True]),
}


def run(rule: str) -> list[bool]:
    return compile_rule(rule).evaluate(H, M).tolist()


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("desil <= 4", [True, False, False]),  # a missing desil never satisfies a comparison
        ("desil < 7", [True, False, False]),
        ("desil >= 7", [False, True, False]),
        ("desil > 2", [False, True, False]),
        ("dtsen_desil == 5", [False, True, False]),
        ("dtsen_desil != 5", [True, False, True]),
        ("1 <= dtsen_desil <= 3", [True, False, True]),
        ("dtsen_desil in [1, 3]", [True, False, True]),
        ("dtsen_desil not in [1, 3]", [False, True, False]),
        ("kecamatan == '64.71.01'", [True, False, True]),
        ("kecamatan in ['64.71.05']", [False, True, False]),
        ("not has_car", [True, False, True]),
        ("has_car or dtsen_desil == 1", [True, True, False]),
        ("not has_car and size >= 3", [True, False, True]),
        ("floor_area / size < 20", [True, False, True]),
        ("floor_area - 10 * 2 > 25", [False, True, False]),
        ("-dtsen_desil < -4", [False, True, False]),
        ("size + 1 == 2", [False, True, False]),
        ("true", [True, True, True]),
        ("count(members, age < 18 and not in_school) >= 1", [True, False, False]),
        ("count(members, age < 18) == 2", [False, False, True]),
        ("any(members, disabled)", [True, False, False]),
        ("all(members, working)", [False, True, False]),
        ("sum(members, age) > 60", [True, False, False]),
        ("min(members, age) < 10", [False, False, True]),
        ("max(members, age) >= 70", [True, False, False]),
        ("any(members, female and age >= 60 and dtsen_desil <= 2)", [True, False, False]),
        ("desil <= 4 and count(members, age < 18 and not in_school) >= 1", [True, False, False]),
    ],
)
def test_every_operator(rule: str, expected: list[bool]) -> None:
    assert run(rule) == expected


@pytest.mark.parametrize(
    ("rule", "message", "column"),
    [
        ("desil <= ", "syntax error", 9),
        ("desil <== 4", "syntax error", 9),
        ("income < 5", "unknown field 'income'", 1),
        ("desil <= 4 and kecamtan == '1'", "unknown field 'kecamtan'", 16),
        ("age < 18", "member field", 1),
        ("desil <= '4'", "cannot compare a number with a text", 10),
        ("kecamatan < '64'", "only be compared with == or !=", 13),
        ("desil + 1", "must be a condition", 1),
        ("count(members, age)", "is a number, but a condition is needed", 16),
        ("sum(members, disabled)", "is a condition, but a number is needed", 14),
        ("count(age < 18)", "write count(members", 1),
        ("count(members, count(members, disabled) > 0)", "cannot be nested", 16),
        ("desil in 4", "needs a list", 10),
        ("desil in ['a']", "holds a text but the value is a number", 11),
        ("desil is 4", "'is' is not allowed", 1),
        ("desil ** 2 > 4", "not allowed", 1),
        ("", "empty", 1),
    ],
)
def test_invalid_rules_get_a_clear_message_with_the_position(rule: str, message: str, column: int) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(rule)
    assert message in caught.value.message, caught.value.message
    assert caught.value.column == column, (caught.value.column, caught.value.message)


@pytest.mark.parametrize(
    "rule",
    [
        "__import__('os').system('id')",
        "desil.__class__",
        "().__class__.__bases__[0]",
        "open('/etc/passwd')",
        "[x for x in members]",
        "lambda: 1",
        "import os",
        "exec('1')",
        "members[0]",
        "f'{desil}' == 'x'",
        "desil if true else size",
        "(desil := 3) > 1",
    ],
)
def test_malicious_input_is_refused(rule: str) -> None:
    with pytest.raises(RuleError):
        compile_rule(rule)


def test_huge_or_deep_expressions_are_refused_quickly() -> None:
    with pytest.raises(RuleError, match="longer than"):
        compile_rule(" or ".join(["desil <= 4"] * 200))
    with pytest.raises(RuleError, match="deeply nested"):
        compile_rule("not " * 100 + "has_car")
    with pytest.raises(RuleError, match="parts"):
        compile_rule(" or ".join(["size>1"] * 80))


def test_the_rule_reports_the_fields_it_uses() -> None:
    assert compile_rule("desil <= 4 and any(members, disabled)").fields == {"desil", "disabled"}


def test_a_million_members_evaluate_in_one_vectorised_pass() -> None:
    rng = np.random.default_rng(0)
    n, m = 300_000, 1_000_000
    households = {"size": np.ones(n), "desil": rng.integers(1, 11, n).astype(float)}
    members = {
        "household": np.sort(rng.integers(0, n, m)),
        "age": rng.integers(0, 90, m).astype(float),
        "in_school": rng.random(m) < 0.3,
    }
    result = compile_rule("desil <= 4 and count(members, age < 18 and not in_school) >= 1").evaluate(
        households, members
    )
    assert result.shape == (n,) and 0 < result.sum() < n
