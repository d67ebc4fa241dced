"""The portal's pure rules, without a database."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entas.core.errors import Refused
from entas.portal import rules

HOLIDAYS = rules.load_holidays()
D = dt.date


def test_the_state_machine_runs_new_to_closed_and_reopens() -> None:
    state = rules.NEW
    for action, expected in [
        ("start", rules.IN_PROGRESS),
        ("ask_citizen", rules.WAITING),
        ("citizen_replied", rules.IN_PROGRESS),
        ("resolve", rules.RESOLVED),
        ("close", rules.CLOSED),
        ("reopen", rules.IN_PROGRESS),
    ]:
        state = rules.transition(state, action)  # type: ignore[assignment]
        assert state == expected


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("new", "reopen"),
        ("closed", "resolve"),
        ("waiting", "start"),
        ("resolved", "ask_citizen"),
        ("in_progress", "close"),
    ],
)
def test_steps_out_of_order_are_refused(state: str, action: str) -> None:
    refusal = rules.transition(state, action)
    assert isinstance(refusal, Refused) and refusal.code == "conflict"


def test_a_case_is_not_resolved_without_a_public_answer() -> None:
    refusal = rules.transition("in_progress", "resolve", answered=False)
    assert isinstance(refusal, Refused) and refusal.code == "invalid"
    assert isinstance(rules.transition("in_progress", "nonsense"), Refused)


def test_actions_from_each_state_are_the_ones_the_machine_accepts() -> None:
    for state in ("new", "in_progress", "waiting", "resolved", "closed"):
        for action in rules.ACTIONS:
            allowed = action in rules.actions_from(state)
            assert allowed == (not isinstance(rules.transition(state, action), Refused))


def test_working_days_skip_weekends_and_holidays() -> None:
    # Friday 14 August 2026 + 2 working days: Monday 17 August is Independence Day → Tuesday the 18th.
    assert rules.add_working_days(D(2026, 8, 14), 1, HOLIDAYS) == D(2026, 8, 18)
    assert rules.add_working_days(D(2026, 8, 14), 2, HOLIDAYS) == D(2026, 8, 19)
    # Without holidays, Friday + 1 is Monday.
    assert rules.add_working_days(D(2026, 8, 14), 1, frozenset()) == D(2026, 8, 17)
    # A complaint on Christmas Eve (cuti bersama) of 2026: the 24th, 25th and the weekend do not count.
    assert rules.add_working_days(D(2026, 12, 23), 1, HOLIDAYS) == D(2026, 12, 28)
    assert rules.add_working_days(D(2026, 12, 23), 0, HOLIDAYS) == D(2026, 12, 23)


def test_the_holiday_file_holds_both_years_and_cuti_bersama_is_optional() -> None:
    assert D(2026, 8, 17) in HOLIDAYS and D(2027, 8, 17) in HOLIDAYS and D(2026, 1, 1) in HOLIDAYS
    assert D(2026, 12, 24) in HOLIDAYS
    assert D(2026, 12, 24) not in rules.load_holidays(cuti_bersama=False)
    assert D(2026, 12, 25) in rules.load_holidays(cuti_bersama=False)


@given(
    start=st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 11, 30)),
    days=st.integers(min_value=0, max_value=40),
)
def test_counting_back_the_working_days_added_gives_the_same_number(start: dt.date, days: int) -> None:
    end = rules.add_working_days(start, days, HOLIDAYS)
    assert rules.working_days_between(start, end, HOLIDAYS) == days
    assert days == 0 or rules.is_working_day(end, HOLIDAYS)


@given(
    a=st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 12, 31)),
    b=st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 12, 31)),
)
def test_working_days_between_counts_day_by_day(a: dt.date, b: dt.date) -> None:
    naive = sum(1 for i in range(1, (b - a).days + 1) if rules.is_working_day(a + dt.timedelta(days=i), HOLIDAYS))
    assert rules.working_days_between(a, b, HOLIDAYS) == naive


SEPT_1 = D(2026, 9, 1)


def _clock(state: str = "in_progress", today: dt.date = SEPT_1, responded: bool = True) -> rules.ClockFacts:
    return rules.ClockFacts(
        state=state,
        first_response_due=D(2026, 8, 20),
        resolution_due=D(2026, 9, 1),
        first_responded=responded,
        today=today,
    )


def test_escalation_goes_to_the_supervisor_then_the_head() -> None:
    assert rules.escalation_level(_clock(today=D(2026, 9, 1)), HOLIDAYS) == rules.LEVEL_NONE
    assert rules.escalation_level(_clock(today=D(2026, 9, 2)), HOLIDAYS) == rules.LEVEL_SUPERVISOR
    assert rules.escalation_level(_clock(today=D(2026, 9, 7)), HOLIDAYS) == rules.LEVEL_SUPERVISOR  # 4 working days
    assert rules.escalation_level(_clock(today=D(2026, 9, 8)), HOLIDAYS) == rules.LEVEL_HEAD  # 5 working days
    # A missed first answer escalates before the resolution is due.
    assert rules.escalation_level(_clock(today=D(2026, 8, 21), responded=False), HOLIDAYS) == rules.LEVEL_SUPERVISOR
    assert rules.escalation_level(_clock(today=D(2026, 8, 21), responded=True), HOLIDAYS) == rules.LEVEL_NONE
    # The citizen's turn, or a finished case: no escalation.
    for state in ("waiting", "resolved", "closed"):
        assert rules.escalation_level(_clock(state=state, today=D(2026, 12, 1)), HOLIDAYS) == rules.LEVEL_NONE


def test_deadlines_follow_the_category() -> None:
    due = rules.deadlines("payment_not_received", D(2026, 8, 14), HOLIDAYS)
    assert due.first_response == D(2026, 8, 19)
    assert due.resolution == rules.add_working_days(D(2026, 8, 14), 10, HOLIDAYS)
    assert rules.deadlines("unknown", D(2026, 8, 14), HOLIDAYS) == rules.deadlines("other", D(2026, 8, 14), HOLIDAYS)


def test_tracking_codes_are_long_random_and_unambiguous() -> None:
    codes = {rules.new_tracking_code() for _i in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[A-HJ-KMNP-Z2-9]{4}-[A-HJ-KMNP-Z2-9]{4}-[A-HJ-KMNP-Z2-9]{4}", code)
        assert not set(code) & set("01OIL")
    # At least 59 bits: guessing one of a million live codes at 30 tries an hour takes millennia.
    assert rules.CODE_LENGTH * math.log2(len(rules.CODE_ALPHABET)) > 59
    # Every character position varies (no fixed prefix or check digit leaking the structure).
    for position in (0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13):
        assert len({c[position] for c in codes}) > 20


def test_codes_are_normalised_and_digested_with_a_key() -> None:
    code = rules.new_tracking_code()
    assert rules.normalise_code(code.lower().replace("-", " ")) == code.replace("-", "")
    assert rules.normalise_code("ABCD-EFGH-JKM") is None
    assert rules.normalise_code("ABCD-EFGH-JKM0") is None  # 0 is not in the alphabet
    assert rules.code_digest(code, b"k1") == rules.code_digest(code.lower(), b"k1")
    assert rules.code_digest(code, b"k1") != rules.code_digest(code, b"k2")
    assert code.replace("-", "") not in rules.code_digest(code, b"k1")
    with pytest.raises(ValueError):
        rules.code_digest("nope", b"k")


def test_fingerprints_ignore_case_spacing_and_punctuation() -> None:
    a = rules.fingerprint(category="other", kelurahan="64.71.01.1001", description="Bantuan  belum cair!")
    b = rules.fingerprint(category="other", kelurahan="64.71.01.1001", description="bantuan belum cair")
    c = rules.fingerprint(category="other", kelurahan="64.71.01.1002", description="bantuan belum cair")
    assert a == b != c


def test_names_match_by_their_first_letters_only() -> None:
    names = ["Siti Rahmawati", "Budi Santoso"]
    assert rules.name_matches("sit", names)
    assert rules.name_matches("BUDI S", names)
    assert not rules.name_matches("si", names)  # too few letters
    assert not rules.name_matches("sito", names)
    assert not rules.name_matches("", names)
    assert rules.name_matches("Sití", ["SITI"])
