"""The pure rules of skills training: eligibility, selection, attendance, tracer dates, outcomes."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from entas.training import rules
from entas.training.rules import Applicant, Criteria, Trainee

KEL = ["64.71.01.1001", "64.71.01.1002", "64.71.02.1001", "64.71.03.1004"]


def person(key: str, **kw: object) -> Applicant:
    base: dict[str, object] = {"female": False, "age": 25, "kelurahan": KEL[0], "desil": 3}
    base.update(kw)
    return Applicant(key=key, **base)  # type: ignore[arg-type]


# -- eligibility ---------------------------------------------------------------------------------------


def test_eligibility_names_every_reason():
    criteria = Criteria(min_age=18, max_age=35, max_desil=4, min_school_level="5", kelurahan=frozenset({KEL[1]}))
    assert rules.ineligibility(person("1", desil=2, school_level="7", kelurahan=KEL[1]), criteria) == []
    reasons = rules.ineligibility(person("2", age=40, desil=7, school_level="3", kelurahan=KEL[0]), criteria)
    assert len(reasons) == 4
    assert "40" in reasons[0] and "18" in reasons[0] and "35" in reasons[0]
    assert "7" in reasons[1]


def test_age_band_edges_and_missing_desil():
    criteria = Criteria(min_age=18, max_age=35, max_desil=4)
    assert rules.ineligibility(person("a", age=18), criteria) == []
    assert rules.ineligibility(person("b", age=35), criteria) == []
    assert rules.ineligibility(person("c", age=17), criteria)
    assert rules.ineligibility(person("d", age=36), criteria)
    assert rules.ineligibility(person("e", desil=None), criteria)
    assert rules.ineligibility(person("f", desil=None), Criteria()) == []


def test_special_school_counts_as_its_level():
    criteria = Criteria(min_school_level="7")  # SMA
    assert rules.ineligibility(person("a", school_level="9"), criteria) == []  # SMALB
    assert rules.ineligibility(person("b", school_level="8"), criteria) == []  # SMK
    assert rules.ineligibility(person("c", school_level="6"), criteria)  # SMPLB
    assert rules.ineligibility(person("d", school_level=""), criteria)  # not recorded


# -- selection -------------------------------------------------------------------------------------------


def test_priorities_in_order():
    people = [
        person("desil5", desil=5),
        person("trained", desil=2, trained_before=True, unemployed=True, disabled=True),
        person("plain", desil=2),
        person("unemployed", desil=2, unemployed=True),
        person("both", desil=2, unemployed=True, disabled=True),
        person("nodesil", desil=None),
        person("desil1", desil=1, trained_before=True),
    ]
    result = rules.select(people, Criteria(), seats=7, seed="s")
    assert result.selected == ["desil1", "both", "unemployed", "plain", "trained", "desil5", "nodesil"]
    assert result.decisions["both"].rank == 2


def test_a_course_orders_the_priorities_its_own_way():
    people = [
        person("poor", desil=1),
        person("jobless", desil=4, unemployed=True),
        person("both", desil=4, unemployed=True, disabled=True),
    ]
    default = rules.select(people, Criteria(), seats=3, seed="s")
    assert default.selected == ["poor", "both", "jobless"]
    jobs_first = Criteria(priorities=("unemployed", "desil", "disability"))
    result = rules.select(people, jobs_first, seats=3, seed="s")
    assert result.selected == ["both", "jobless", "poor"]
    assert result.decisions["both"].reason.startswith("Selected, rank 1 by priority (unemployed, desil 4")
    assert rules.check_priorities(["desil", "income"]) and rules.check_priorities(["desil", "desil"])
    assert rules.check_priorities(list(rules.PRIORITIES)) == []


def test_waiting_list_and_reasons():
    people = [person(f"p{i}", desil=1 + i % 5) for i in range(10)] + [person("old", age=50)]
    result = rules.select(people, Criteria(), seats=4, seed="c1")
    assert len(result.selected) == 4 and len(result.waiting) == 6 and result.not_eligible == ["old"]
    assert [result.decisions[k].rank for k in result.waiting] == [1, 2, 3, 4, 5, 6]
    assert result.decisions["old"].reason.startswith("Not eligible")
    assert "50" in result.decisions["old"].reason
    for key in result.selected:
        assert result.decisions[key].reason.startswith("Selected, rank")
    assert "higher priority" in result.decisions[result.waiting[0]].reason


def test_women_quota_takes_women_below_men_and_says_so():
    men = [person(f"m{i}", desil=1) for i in range(6)]
    women = [person(f"w{i}", female=True, desil=4) for i in range(6)]
    result = rules.select(men + women, Criteria(min_women_share=Fraction(1, 2)), seats=4, seed="x")
    assert sum(1 for k in result.selected if k.startswith("w")) == 2
    assert sum(1 for k in result.selected if k.startswith("m")) == 2
    quota = result.quotas[0]
    assert (quota.name, quota.target, quota.achieved, quota.met) == ("women", 0.5, 0.5, True)
    displaced = [k for k in result.waiting if k.startswith("m")]
    assert "women's quota" in result.decisions[displaced[0]].reason
    woman = next(k for k in result.selected if k.startswith("w"))
    assert "women's quota" in result.decisions[woman].reason


def test_kelurahan_cap():
    people = [person(f"a{i}", kelurahan=KEL[0], desil=1) for i in range(5)]
    people += [person(f"b{i}", kelurahan=KEL[1], desil=5) for i in range(5)]
    result = rules.select(people, Criteria(max_per_kelurahan=2), seats=6, seed="x")
    counts = Counter(k[0] for k in result.selected)
    assert counts == {"a": 2, "b": 2}  # seats stay empty rather than break the cap
    blocked = [k for k in result.waiting if k.startswith("a")]
    assert "maximum of 2" in result.decisions[blocked[0]].reason
    assert result.quotas == [rules.Quota("per_kelurahan", 2.0, 2.0, True)]


def test_tie_break_is_the_documented_hash_not_the_input_order():
    people = [person(f"{i:016d}") for i in range(20)]
    result = rules.select(people, Criteria(), seats=5, seed="cohort-7")
    expected = sorted(people, key=lambda a: rules.tie_break(a.key, "cohort-7"))[:5]
    assert result.selected == [a.key for a in expected]
    assert rules.tie_break("1", "s") == __import__("hashlib").sha256(b"s|1").hexdigest()
    other = rules.select(people, Criteria(), seats=5, seed="cohort-8")
    assert other.selected != result.selected  # another seed, another draw among equals


# -- selection properties ------------------------------------------------------------------------------

applicant = st.builds(
    Applicant,
    key=st.text(alphabet="0123456789", min_size=16, max_size=16),
    female=st.booleans(),
    age=st.integers(14, 45),
    kelurahan=st.sampled_from(KEL),
    desil=st.one_of(st.none(), st.integers(1, 10)),
    school_level=st.sampled_from(["", "3", "5", "7", "8", "11"]),
    trained_before=st.booleans(),
    unemployed=st.booleans(),
    disabled=st.booleans(),
)
pools = st.lists(applicant, max_size=40, unique_by=lambda a: a.key)
criteria_st = st.builds(
    Criteria,
    min_age=st.just(18),
    max_age=st.just(35),
    max_desil=st.one_of(st.none(), st.integers(1, 10)),
    min_women_share=st.sampled_from([Fraction(0), Fraction(3, 10), Fraction(1, 2), Fraction(1)]),
    max_per_kelurahan=st.one_of(st.none(), st.integers(1, 8)),
    priorities=st.permutations(rules.PRIORITIES).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(pools, criteria_st, st.integers(0, 20), st.text(max_size=8), st.randoms())
def test_selection_properties(people, criteria, seats, seed, rnd):
    result = rules.select(people, criteria, seats, seed)
    # every applicant decided once, with a reason
    assert set(result.decisions) == {a.key for a in people}
    assert all(d.reason for d in result.decisions.values())
    # deterministic: another order of the same applicants, the same decisions
    shuffled = list(people)
    rnd.shuffle(shuffled)
    assert rules.select(shuffled, criteria, seats, seed).decisions == result.decisions
    by_key = {a.key: a for a in people}
    eligible = [a for a in people if not rules.ineligibility(a, criteria)]
    chosen = [by_key[k] for k in result.selected]
    assert {a.key for a in eligible} == set(result.selected) | set(result.waiting)
    assert len(chosen) <= seats
    # the kelurahan cap is never broken, and seats stay empty only when the cap leaves no one
    per_kel = Counter(a.kelurahan for a in chosen)
    cap = criteria.max_per_kelurahan
    if cap is not None:
        assert max(per_kel.values(), default=0) <= cap
    pool_room = sum(min(cap or 10**6, n) for n in Counter(a.kelurahan for a in eligible).values())
    assert len(chosen) == min(seats, pool_room)
    # the women's quota is met whenever the pool allows
    target = rules.women_target(seats, criteria.min_women_share)
    women_room = sum(min(cap or 10**6, n) for n in Counter(a.kelurahan for a in eligible if a.female).values())
    assert sum(a.female for a in chosen) >= min(target, women_room)
    # without quotas, the selected are exactly the first by priority and tie-break
    if criteria.min_women_share == 0 and cap is None:
        ranked = sorted(eligible, key=lambda a: rules.order_key(a, seed, criteria.priorities))
        assert result.selected == [a.key for a in ranked[:seats]]
    # priority respected: a waiting person of the same sex and kelurahan never outranks a selected one
    for w in result.waiting:
        a = by_key[w]
        for s in chosen:
            if s.female == a.female and s.kelurahan == a.kelurahan:
                order = criteria.priorities
                assert rules.order_key(s, seed, order) < rules.order_key(a, seed, order)


def test_women_target_rounds_up():
    assert rules.women_target(16, Fraction(1, 2)) == 8
    assert rules.women_target(15, Fraction(1, 2)) == 8
    assert rules.women_target(16, Fraction(3, 10)) == math.ceil(4.8)
    assert rules.women_target(0, Fraction(1)) == 0


# -- attendance ------------------------------------------------------------------------------------------


def test_attendance_rate_and_threshold():
    assert rules.attendance_rate([]) is None
    assert rules.attendance_rate(["excused", "excused"]) is None
    assert rules.attendance_rate(["present"] * 8 + ["absent"] * 2) == 80
    assert rules.attendance_rate(["present"] * 8 + ["absent"] * 2 + ["excused"] * 5) == 80
    assert rules.attendance_rate(["present", "present", "absent"]) == 66  # rounded down
    assert rules.meets_attendance(["present"] * 8 + ["absent"] * 2, 80)
    assert not rules.meets_attendance(["present"] * 7 + ["absent"] * 3, 80)
    assert not rules.meets_attendance([], 0)


@given(st.lists(st.sampled_from(["present", "absent", "excused"]), max_size=60))
def test_attendance_rate_bounds(statuses):
    rate = rules.attendance_rate(statuses)
    if rate is not None:
        assert 0 <= rate <= 100
        assert rules.attendance_rate([*statuses, "excused"]) == rate  # excused changes nothing
        assert rules.attendance_rate([*statuses, "present"]) >= rate


# -- tracer study ---------------------------------------------------------------------------------------------


def test_tracer_due_dates():
    assert rules.tracer_due_dates(dt.date(2025, 3, 15)) == {
        3: dt.date(2025, 6, 15),
        6: dt.date(2025, 9, 15),
        12: dt.date(2026, 3, 15),
    }
    # a shorter month ends the month
    assert rules.tracer_due_dates(dt.date(2025, 8, 31))[6] == dt.date(2026, 2, 28)
    assert rules.tracer_due_dates(dt.date(2023, 8, 31))[6] == dt.date(2024, 2, 29)
    assert rules.tracer_due_dates(dt.date(2025, 11, 30))[3] == dt.date(2026, 2, 28)


def test_tracer_due_work_list():
    done_on = dt.date(2025, 1, 10)
    assert rules.tracer_due(done_on, [], dt.date(2025, 4, 9)) == []
    assert rules.tracer_due(done_on, [], dt.date(2025, 4, 10)) == [3]
    assert rules.tracer_due(done_on, [3], dt.date(2025, 8, 1)) == [6]
    assert rules.tracer_due(done_on, [], dt.date(2026, 2, 1)) == [3, 6, 12]


@given(st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)), st.integers(0, 240))
def test_add_months_properties(day, months):
    later = rules.add_months(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day <= day.day
    assert later >= day


# -- outcomes ----------------------------------------------------------------------------------------------


def test_outcome_figures_against_hand_computed():
    g = {"course": "welding"}
    rows = [
        Trainee(g, selected=False),
        Trainee(g, selected=False),
        Trainee(g, True, True, True, True, 0, 3_000_000, desil=1, cost=5_000_000),
        Trainee(g, True, True, True, False, 500_000, 500_000, desil=3, cost=5_000_000),
        Trainee(g, True, True, False, None, desil=6, cost=5_000_000),
        Trainee(g, True, False, desil=2, cost=5_000_000),
        Trainee({"course": "tailoring"}, True, True, True, True, 1_000_000, 2_000_000, desil=5, cost=2_000_000),
    ]
    welding, tailoring = sorted(rules.outcome_table(rows, "course"), key=lambda f: f.group, reverse=True)
    assert (welding.applicants, welding.selected, welding.completed, welding.certified) == (6, 4, 3, 2)
    assert (welding.traced, welding.placed) == (2, 1)
    assert welding.completion_rate == 0.75
    assert welding.certification_rate == round(2 / 3, 4)
    assert welding.placement_rate == 0.5
    assert welding.income_change == 1_500_000  # (3,000,000 + 0) / 2
    assert welding.cost == 20_000_000
    assert welding.cost_per_completer == round(20_000_000 / 3, 2)
    assert welding.cost_per_placement == 20_000_000
    assert welding.poorest_share == 0.75  # desil 1, 3 and 2 of four
    assert (tailoring.placement_rate, tailoring.cost_per_placement, tailoring.poorest_share) == (1.0, 2_000_000, 0.0)


def test_outcomes_without_denominators():
    (f,) = rules.outcome_table([Trainee({"x": "a"}, selected=False)], "x")
    assert f.completion_rate is None and f.placement_rate is None and f.cost_per_completer is None


def test_age_bands():
    assert [rules.age_band(a) for a in (14, 18, 24, 25, 35, 36)] == ["<15", "15–19", "20–24", "25–29", "30–35", ">35"]


def test_selection_is_stable_on_large_pool():
    rnd = random.Random(3)
    people = [
        person(f"{i:016d}", female=rnd.random() < 0.4, desil=rnd.randint(1, 10), kelurahan=rnd.choice(KEL))
        for i in range(90)
    ]
    criteria = Criteria(min_women_share=Fraction(1, 2), max_per_kelurahan=6)
    first = rules.select(people, criteria, 20, "heavy-equipment-2026")
    assert first == rules.select(list(reversed(people)), criteria, 20, "heavy-equipment-2026")
    assert len(first.selected) == 20
    assert first.quotas[0].met
