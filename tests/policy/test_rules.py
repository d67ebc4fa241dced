"""The register's pure rules: budget codes, roll-ups in exact rupiah, realisation cells, adjustments,
and the register as of a date. No database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entas.core.errors import Refused
from entas.policy import rules
from entas.policy.planfile import months_of, spread


@pytest.mark.parametrize(
    ("code", "level", "ok"),
    [
        ("1.06.04", "program", True),
        ("X.XX.01", "program", True),
        ("1.06.04.2.01", "kegiatan", True),
        ("1.06.04.2.01.0006", "sub_kegiatan", True),
        ("1.06.04.2.01.0006", "kegiatan", False),
        ("1.06.04.2.01.006", "sub_kegiatan", False),
        ("1.6.04.2.01.0006", "sub_kegiatan", False),
        ("1.06.04.2.01.0006 ", "sub_kegiatan", False),
        ("", "kegiatan", False),
    ],
)
def test_it_checks_the_shape_of_a_budget_code(code: str, level: str, ok: bool) -> None:
    assert (rules.code_problem(code, level) is None) is ok


def test_a_wrong_code_names_the_shape_expected() -> None:
    assert "1.06.04.2.01.0006" in (rules.code_problem("1.06.04", "sub_kegiatan") or "")


def _line(
    plan: int, strategy: int, programme: int, activity: int, opd: str, budget: int, realised: int
) -> rules.LineFacts:
    return rules.LineFacts(plan, strategy, programme, activity, opd, budget, realised)


def test_the_roll_up_adds_exact_rupiah_at_every_level() -> None:
    lines = [
        _line(1, 10, 100, 1000, "DINSOS", 1_000_000_001, 333_333_333),
        _line(1, 10, 100, 1001, "DINSOS", 7, 3),
        _line(1, 10, 101, 1002, "DINKES", 999_999_999_999, 1),
        _line(1, 11, 102, 1003, "DINSOS", 5, 0),
    ]
    r = rules.roll_up(lines)
    assert r.activity[1000] == rules.Amounts(1_000_000_001, 333_333_333)
    assert r.programme[100] == rules.Amounts(1_000_000_008, 333_333_336)
    assert r.strategy[10] == rules.Amounts(1_000_000_008 + 999_999_999_999, 333_333_337)
    assert r.strategy[11] == rules.Amounts(5, 0)
    assert r.plan[1] == r.total == rules.Amounts(1_001_000_000_012, 333_333_337)
    assert r.opd == {"DINSOS": rules.Amounts(1_000_000_013, 333_333_336), "DINKES": rules.Amounts(999_999_999_999, 1)}
    assert isinstance(r.total.budget, int)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**13), st.integers(0, 10**13)), max_size=40))
def test_every_level_is_the_sum_of_the_level_below(rows: list[tuple[int, int, int]]) -> None:
    lines = [_line(1, p % 2, p, i, "A" if i % 3 else "B", b, r) for i, (p, b, r) in enumerate(rows)]
    out = rules.roll_up(lines)
    for level_total, below in ((out.plan.get(1, rules.Amounts()), out.strategy), (out.total, out.opd)):
        assert level_total.budget == sum(a.budget for a in below.values())
        assert level_total.realised == sum(a.realised for a in below.values())
    for s, amounts in out.strategy.items():
        assert amounts.budget == sum(a.budget for p, a in out.programme.items() if p % 2 == s)


def test_a_percentage_is_rounded_down_and_a_bar_stops_at_100() -> None:
    assert rules.Amounts(3, 2).percent == 66
    assert rules.Amounts(0, 5).percent == 0
    assert rules.Amounts(10, 25).bar == 100


def test_funding_rolls_up_by_source() -> None:
    f = rules.funding_roll_up(
        [
            rules.FundingFacts(1, 10, 100, "apbd", 7),
            rules.FundingFacts(1, 10, 101, "apbd", 5),
            rules.FundingFacts(1, 11, 102, "csr", 2),
        ]
    )
    assert f.strategy[10] == {"apbd": 12} and f.plan[1] == {"apbd": 12, "csr": 2} and f.total == {"apbd": 12, "csr": 2}


@given(st.integers(0, 10**13), st.integers(1, 12))
def test_a_years_pagu_spreads_over_its_months_exactly(amount: int, months: int) -> None:
    parts = spread(amount, months)
    assert len(parts) == months and sum(parts) == amount and max(parts) - min(parts) < months


def test_months_of_a_year_stay_within_the_period() -> None:
    months = months_of(2026, dt.date(2026, 12, 1), dt.date(2027, 5, 31))
    assert months == [dt.date(2026, 12, 1)]
    assert len(months_of(2027, dt.date(2026, 12, 1), dt.date(2027, 5, 31))) == 5


@pytest.mark.parametrize(
    ("text", "value"),
    [("1250000", 1_250_000), ("1.250.000", 1_250_000), ("Rp 1.250.000", 1_250_000), ("0", 0)],
)
def test_it_reads_whole_rupiah(text: str, value: int) -> None:
    assert rules.parse_rupiah(text) == value


@pytest.mark.parametrize("text", ["1.250.000,50", "12,5", "-5", "satu juta", "", "1.25.000", "9" * 17])
def test_it_refuses_what_is_not_whole_rupiah(text: str) -> None:
    assert isinstance(rules.parse_rupiah(text), str)


def test_it_reads_a_month_and_a_percentage() -> None:
    assert rules.parse_month("2026-03") == dt.date(2026, 3, 1)
    assert isinstance(rules.parse_month("2026-13"), str) and isinstance(rules.parse_month("03/2026"), str)
    assert rules.parse_percent("") is None and rules.parse_percent("45%") == 45
    assert isinstance(rules.parse_percent("101"), str) and isinstance(rules.parse_percent("4.5"), str)


def test_realisation_is_refused_for_another_opd_payments_and_outside_the_period() -> None:
    facts = rules.MonthFacts(True, False, True, dt.date(2025, 1, 1), dt.date(2025, 12, 1))
    reasons = rules.check_realisation(dt.date(2026, 1, 1), facts)
    assert len(reasons) == 3
    ok = rules.MonthFacts(True, True, False, dt.date(2025, 1, 1), dt.date(2025, 12, 1))
    assert rules.check_realisation(dt.date(2025, 12, 1), ok) == []


FACTS = rules.AdjustFacts(
    kind="training",
    status="active",
    start=dt.date(2025, 1, 1),
    opds=frozenset({"DINSOS", "DISNAKER"}),
    kelurahan=frozenset({"64.71.01.1001", "64.71.06.1005"}),
)


def test_it_reads_the_value_an_adjustment_proposes() -> None:
    assert rules.parse_adjustment("status", "paused", FACTS) == "paused"
    assert rules.parse_adjustment("lead_opd", "dinsos", FACTS) == "DINSOS"
    assert rules.parse_adjustment("target_kelurahan", "64.71.06.1005, 64.71.01.1001", FACTS) == [
        "64.71.01.1001",
        "64.71.06.1005",
    ]
    assert rules.parse_adjustment("funding.csr", "1.500.000.000", FACTS) == 1_500_000_000
    assert rules.parse_adjustment("end", "2028-12-31", FACTS) == "2028-12-31"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x"),
        ("status", "finished"),
        ("lead_opd", "DINAS-X"),
        ("target_kelurahan", "64.71.01"),
        ("end", "2024-12-31"),
        ("base_amount", "300000"),
        ("funding.apbd", "12,5"),
    ],
)
def test_it_refuses_an_adjustment_it_cannot_apply(field: str, value: str) -> None:
    with pytest.raises(Refused):
        rules.parse_adjustment(field, value, FACTS)


def test_an_activitys_output_volume_and_location_are_adjusted_for_that_activity_only() -> None:
    activity = dataclasses.replace(FACTS, activity=True)
    assert rules.parse_adjustment("volume_target", "240", activity) == 240
    assert rules.parse_adjustment("location", " Kel. Manggar ", activity) == "Kel. Manggar"
    assert rules.parse_adjustment("output", "Peserta pelatihan las", activity) == "Peserta pelatihan las"
    for field, value in [("volume_target", "2,5"), ("output", ""), ("location", "x" * 201), ("status", "paused")]:
        with pytest.raises(Refused):
            rules.parse_adjustment(field, value, activity)
    with pytest.raises(Refused):  # an activity's field names its activity
        rules.parse_adjustment("volume_target", "240", FACTS)


def test_a_stopped_programme_stays_stopped() -> None:
    stopped = rules.AdjustFacts("cash", "stopped", dt.date(2025, 1, 1), frozenset(), frozenset())
    with pytest.raises(Refused):
        rules.parse_adjustment("status", "active", stopped)


def test_the_register_as_of_a_date_undoes_later_adjustments_newest_first() -> None:
    today = {"status": "stopped", "funding.apbd": 300}
    changes = [
        rules.Change(1, "status", "active", "paused", dt.date(2026, 3, 1)),
        rules.Change(2, "status", "paused", "stopped", dt.date(2026, 9, 1)),
        rules.Change(3, "funding.apbd", 100, 300, dt.date(2026, 6, 1)),
    ]
    assert rules.as_of(today, changes, dt.date(2026, 12, 31)) == today
    assert rules.as_of(today, changes, dt.date(2026, 7, 1)) == {"status": "paused", "funding.apbd": 300}
    assert rules.as_of(today, changes, dt.date(2026, 5, 31)) == {"status": "paused", "funding.apbd": 100}
    assert rules.as_of(today, changes, dt.date(2026, 2, 28)) == {"status": "active", "funding.apbd": 100}
