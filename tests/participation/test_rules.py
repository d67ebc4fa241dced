"""The pure rules of participation: what a rule's list takes from the musyawarah decisions, what a
decision does to the verification, and why a decision is refused."""

from __future__ import annotations

import datetime as dt

from entas.participation import rules
from entas.participation.rules import DecisionFacts as D


def test_a_later_forum_supersedes_and_keep_clears_a_rule_decision() -> None:
    added, removed = rules.overrides([D(1, True, "add"), D(2, True, "remove"), D(1, True, "remove")])
    assert (added, removed) == (set(), {1, 2})
    added, removed = rules.overrides([D(1, True, "add"), D(1, True, "keep"), D(3, True, "add")])
    assert (added, removed) == ({3}, set())


def test_striking_off_the_registry_list_removes_from_every_rule_until_put_back() -> None:
    assert rules.overrides([D(1, True, "add"), D(1, False, "remove")]) == (set(), {1})
    assert rules.overrides([D(1, False, "remove"), D(1, False, "keep")]) == (set(), set())
    assert rules.overrides([D(1, False, "remove"), D(1, True, "add")]) == ({1}, set())
    # the registry list's add or keep adds to no rule by itself
    assert rules.overrides([D(4, False, "add"), D(5, False, "keep")]) == (set(), set())


def test_verification_effect() -> None:
    assert rules.verification_effect("add", "usulan") == (True, "applied")
    assert rules.verification_effect("keep", "diverifikasi") == (True, "applied")
    assert rules.verification_effect("remove", "diverifikasi") == (False, "applied")
    assert rules.verification_effect("remove", "disahkan") == (None, "ratified")


def test_decision_problems() -> None:
    today = dt.date(2026, 5, 1)
    assert rules.decision_problems(action="keep", reason="", held_on=today, today=today) == []
    assert rules.decision_problems(action="add", reason="janda", held_on=today, today=today) == []
    assert "reason" in rules.decision_problems(action="remove", reason=" ", held_on=today, today=today)[0]
    assert rules.decision_problems(action="drop", reason="x", held_on=today, today=today)
    assert rules.decision_problems(action="keep", reason="", held_on=dt.date(2026, 5, 2), today=today)


def test_attendance_total() -> None:
    assert rules.attendance_total({"officials": (3, 2), "residents": (10, 12)}) == (13, 14, 27)
