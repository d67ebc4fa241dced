"""The pure rules of economic empowerment against hand-computed tables (no database)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from entas.enterprise import rules
from entas.enterprise.rules import GroupHistory, Instalment, ReportFacts, Seat

D = dt.date


def test_kbli_and_nib_shapes() -> None:
    assert rules.kbli_ok("10792")  # bakery products
    assert rules.kbli_ok("03111")  # marine capture fishing
    assert not rules.kbli_ok("1079")
    assert not rules.kbli_ok("10a92")
    assert not rules.kbli_ok("00123")
    assert rules.nib_ok("9120301234567")
    assert not rules.nib_ok("912030123456")


def test_add_months_clamps_to_the_last_day() -> None:
    assert rules.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert rules.add_months(D(2026, 11, 15), 2) == D(2027, 1, 15)
    assert rules.add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)


def test_flat_schedule_by_hand() -> None:
    # Rp 10,000,000 at 12 % a year flat over 4 months: interest 10,000,000 × 1 % = 100,000 a month;
    # principal 2,500,000 each month.
    lines = rules.schedule(10_000_000, 1200, 4, D(2026, 1, 31), "flat")
    assert [(x.due, x.principal, x.interest) for x in lines] == [
        (D(2026, 1, 31), 2_500_000, 100_000),
        (D(2026, 2, 28), 2_500_000, 100_000),
        (D(2026, 3, 31), 2_500_000, 100_000),
        (D(2026, 4, 30), 2_500_000, 100_000),
    ]


def test_declining_schedule_by_hand() -> None:
    # Rp 1,000,000 at 6 % a year declining over 3 months: principal 333,333 / 333,333 / 333,334;
    # interest 0.5 % of the balance: 5,000; 666,667 × 0.5 % = 3,333.3 → 3,333; 333,334 × 0.5 % = 1,666.67 → 1,667.
    lines = rules.schedule(1_000_000, 600, 3, D(2026, 5, 10), "declining")
    assert [(x.principal, x.interest, x.amount) for x in lines] == [
        (333_333, 5_000, 338_333),
        (333_333, 3_333, 336_666),
        (333_334, 1_667, 335_001),
    ]


def test_zero_rate_and_bad_terms() -> None:
    assert [x.amount for x in rules.schedule(100, 0, 3, D(2026, 1, 1), "flat")] == [33, 33, 34]
    for bad in [(0, 0, 3), (100, 0, 0), (100, -1, 3)]:
        try:
            rules.schedule(*bad, D(2026, 1, 1), "flat")
        except ValueError:
            continue
        raise AssertionError(bad)


def test_arrears_ageing_by_hand() -> None:
    # Four instalments of 1,000 (900 principal, 100 interest) due 1 Jan, 1 Feb, 1 Mar, 1 Apr.
    lines = [Instalment(k, D(2026, k, 1), 900, 100) for k in range(1, 5)]
    # Paid 1,500 by 15 April: the first instalment and 500 of the second (100 interest, 400 principal).
    p = rules.position(lines, [1000, 500], D(2026, 4, 15))
    assert p.due == 4000
    assert p.paid == 1500
    # Unpaid: 500 of Feb (73 days late), 1,000 of Mar (45 days), 1,000 of Apr (14 days).
    assert p.overdue == {"1-30": 1000, "31-60": 1000, "61-90": 500, "90+": 0}
    assert p.arrears == 2500
    assert p.days_late == 73
    assert p.outstanding_principal == 3600 - 900 - 400
    # On 2 May the Feb remainder is 90 days late (still 61-90, with March's 1,000 at 62 days);
    # on 3 May it is 91: 90+.
    assert rules.position(lines, [1500], D(2026, 5, 2)).overdue["61-90"] == 1500
    assert rules.position(lines, [1500], D(2026, 5, 3)).overdue["90+"] == 500
    # Nothing is late on its due day.
    assert rules.position(lines, [], D(2026, 1, 1)).arrears == 0


def test_portfolio_at_risk_and_repayment_rate_by_hand() -> None:
    lines = [Instalment(k, D(2026, k, 1), 900, 100) for k in range(1, 5)]
    day = D(2026, 4, 15)
    good = rules.position(lines, [4000], day)  # all paid: nothing owed
    late = rules.position(lines, [1500], day)  # 2,300 principal owed, 73 days late
    fresh = rules.position(lines, [3000], day)  # 900 principal owed, 14 days late
    assert good.outstanding_principal == 0
    assert rules.portfolio_at_risk([good, late, fresh], 30) == 2300 / 3200
    assert rules.portfolio_at_risk([good, late, fresh], 90) == 0
    # Due 4,000 each; collected 4,000 + 1,500 + 3,000 = 8,500 of 12,000.
    assert rules.repayment_rate([good, late, fresh]) == 8500 / 12000
    assert rules.portfolio_at_risk([]) is None
    assert rules.repayment_rate([]) is None


def test_write_off_needs_four_eyes_and_real_default() -> None:
    assert rules.may_write_off(rules.WriteOffFacts(1, 2, 120, False)) is None
    assert rules.may_write_off(rules.WriteOffFacts(1, 1, 120, False))
    assert rules.may_write_off(rules.WriteOffFacts(1, 2, 90, False))
    assert rules.may_write_off(rules.WriteOffFacts(1, 2, 120, True))


def _r(months: int = 1, revenue: int = 1000, costs: int = 600, fam: int = 2, hired: int = 0, **kw: int) -> ReportFacts:
    values = {"production": 10, "capital": 5000, **kw}
    return ReportFacts(months, values["production"], revenue, costs, fam, hired, values["capital"])


def test_report_plausibility() -> None:
    assert rules.check_report(_r(), None).ok
    negative = rules.check_report(_r(revenue=-1), None)
    assert not negative.ok and negative.errors[0][0] == "revenue"
    jump = rules.check_report(_r(revenue=10_001), _r(revenue=1000))
    assert jump.ok and [w[0] for w in jump.warnings] == ["revenue"]
    # Exactly ten times is not flagged; a quarter is compared per month.
    assert not rules.check_report(_r(revenue=10_000), _r(revenue=1000)).warnings
    assert not rules.check_report(_r(months=3, revenue=30_000), _r(revenue=1000)).warnings
    # From nothing to something is not a jump (no base to compare with).
    assert not rules.check_report(_r(revenue=500), _r(revenue=0)).warnings


def test_a_person_in_two_groups_of_one_programme_is_flagged() -> None:
    seats = [Seat(1, 10, 7), Seat(1, 11, 7), Seat(2, 10, 7), Seat(1, 12, 8), Seat(3, 13, None), Seat(3, 14, None)]
    assert rules.double_memberships(seats) == {(1, 7): [10, 11]}


def test_survival_by_hand() -> None:
    day = D(2026, 11, 30)
    groups = [
        GroupHistory(D(2024, 1, 1), None, []),  # 12 ✓, 24 ✓
        GroupHistory(D(2024, 6, 1), D(2025, 3, 1), []),  # closed at 9 months: 12 ✗, 24 ✗
        GroupHistory(D(2024, 6, 1), D(2025, 12, 1), []),  # 12 ✓, 24 ✗
        GroupHistory(D(2025, 6, 1), None, []),  # 12 ✓, too young for 24
        GroupHistory(D(2026, 6, 1), None, []),  # too young for both
    ]
    assert rules.survival(groups, 12, day) == (3, 4)
    assert rules.survival(groups, 24, day) == (1, 3)


def test_results_by_hand() -> None:
    a_reports = [_r(revenue=1000, costs=600, fam=2), _r(revenue=1500, costs=700, fam=2, hired=2)]
    a = GroupHistory(D(2024, 1, 1), None, a_reports, cost=6_000_000)
    # A quarterly group: 3,000 a quarter = 1,000 a month first; 6,000 a quarter = 2,000 a month last.
    b = GroupHistory(D(2024, 1, 1), None, [_r(3, 3000, 2100, fam=3), _r(3, 6000, 3000, fam=4)], cost=3_000_000)
    c = GroupHistory(D(2024, 1, 1), D(2024, 6, 1), [_r()], cost=1_000_000)  # one report: no growth counted
    out = rules.results([a, b, c], D(2026, 11, 30))
    # Revenue per month: first 1,000 + 1,000 = 2,000, last 1,500 + 2,000 = 3,500: +75 %.
    assert out.revenue_growth == 0.75
    # Profit per month: first 400 + 300 = 700, last 800 + 1,000 = 1,800: +157.14 %.
    assert abs(out.profit_growth - 1100 / 700) < 1e-12
    # Jobs: a 2 → 4 (+2), b 3 → 4 (+1).
    assert out.jobs_created == 3
    assert out.cost == 10_000_000
    assert out.cost_per_job == 3_333_333
    assert out.survival_12 == (2, 3)


def test_no_job_no_cost_per_job() -> None:
    a = GroupHistory(D(2024, 1, 1), None, [_r(fam=3), _r(fam=2)], cost=5)
    assert rules.results([a], D(2026, 1, 1)).cost_per_job is None


@given(
    principal=st.integers(1, 10**10),
    bp=st.integers(0, 3000),
    months=st.integers(1, 60),
    method=st.sampled_from(["flat", "declining"]),
)
def test_schedule_repays_the_principal_exactly(principal: int, bp: int, months: int, method: str) -> None:
    lines = rules.schedule(principal, bp, months, D(2026, 1, 31), method)
    assert len(lines) == months
    assert sum(x.principal for x in lines) == principal
    assert all(isinstance(x.amount, int) and x.interest >= 0 for x in lines)
    if method == "declining":
        assert [x.interest for x in lines] == sorted((x.interest for x in lines), reverse=True)
    assert sum(x.interest for x in rules.schedule(principal, bp, months, D(2026, 1, 31), "declining")) <= sum(
        x.interest for x in rules.schedule(principal, bp, months, D(2026, 1, 31), "flat")
    )


@given(payments=st.lists(st.integers(0, 5000), max_size=6), offset=st.integers(-40, 400))
def test_position_accounts_for_every_rupiah(payments: list[int], offset: int) -> None:
    lines = rules.schedule(12_000, 1200, 6, D(2026, 1, 15), "declining")
    day = D(2026, 1, 15) + dt.timedelta(days=offset)
    p = rules.position(lines, payments, day)
    total = sum(x.amount for x in lines)
    paid = min(sum(payments), total)
    assert 0 <= p.outstanding_principal <= 12_000
    assert p.arrears == max(0, sum(x.amount for x in lines if x.due < day) - paid)
    assert p.arrears <= p.due


def test_welfare_trajectory_by_hand() -> None:
    out = rules.welfare([(2, 4), (3, 3), (5, 4), (1, 2)])
    assert (out.households, out.better, out.worse) == (4, 2, 1)
    assert out.mean_change == (2 + 0 - 1 + 1) / 4
    assert rules.welfare([]).mean_change is None


def test_a_desil_before_and_after_the_assistance() -> None:
    seen = [(dt.date(2026, 3, 1), 5), (dt.date(2023, 1, 1), 1), (dt.date(2024, 6, 1), 2)]
    assert rules.before_after(seen, dt.date(2025, 1, 1), dt.date(2026, 11, 30)) == (2, 5)
    assert rules.before_after(seen, dt.date(2025, 1, 1), dt.date(2026, 1, 1)) is None  # nothing since
    assert rules.before_after(seen, dt.date(2022, 1, 1), dt.date(2026, 11, 30)) is None  # nothing before
    assert rules.before_after([], dt.date(2022, 1, 1), dt.date(2026, 11, 30)) is None


def test_the_registrys_desil_over_time_is_today_with_each_recorded_change_undone() -> None:
    from entas.registry.history import DesilChange, desil_states

    changes = [
        DesilChange(dt.date(2026, 4, 2), {"desil_city": 2, "desil_date": "2024-06-01"}),
        DesilChange(dt.date(2024, 7, 1), {"desil_city": 1, "desil_date": None}),  # first set then
        DesilChange(dt.date(2026, 9, 9), {"desil_date": "2026-03-01"}),  # re-measured, same desil
    ]
    assert desil_states(5, dt.date(2026, 8, 1), changes) == [
        (dt.date(2024, 6, 1), 2),
        (dt.date(2026, 3, 1), 5),
        (dt.date(2026, 8, 1), 5),
    ]
    assert desil_states(None, None, []) == []
    assert desil_states(3, None, [DesilChange(dt.date(2025, 5, 5), {"desil_city": None})]) == [(dt.date(2025, 5, 5), 3)]
