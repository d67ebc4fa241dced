"""The pure rules of campaigns, against examples worked by hand (no database)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from entas.outreach import rules


def test_t_quantiles_match_the_tables() -> None:
    assert rules.t_quantile(0.975, 4) == pytest.approx(2.776445, abs=1e-5)
    assert rules.t_quantile(0.975, 9) == pytest.approx(2.262157, abs=1e-5)
    assert rules.t_quantile(0.975, 1000) == pytest.approx(1.962339, abs=1e-4)
    assert rules.t_quantile(0.025, 4) == pytest.approx(-2.776445, abs=1e-5)


def test_paired_change_by_hand() -> None:
    # before 2 3 1 4 2, after 4 4 2 5 2: changes 2 1 1 1 0, mean 1, sd sqrt(0.5) = 0.70711,
    # se = 0.70711 / sqrt(5) = 0.31623, t(0.975, 4) = 2.77645: half-width 0.87800
    result = rules.paired_change([(2, 4), (3, 4), (1, 2), (4, 5), (2, 2)])
    assert result.n == 5
    assert result.before == pytest.approx(2.4)
    assert result.after == pytest.approx(3.4)
    assert result.change == pytest.approx(1.0)
    assert result.sd == pytest.approx(math.sqrt(0.5))
    assert result.low == pytest.approx(0.12200, abs=1e-4)
    assert result.high == pytest.approx(1.87800, abs=1e-4)


def test_paired_change_without_enough_pairs() -> None:
    assert rules.paired_change([]).change is None
    one = rules.paired_change([(1, 3)])
    assert one.change == 2 and one.low is None


def test_mcnemar_exact_by_hand() -> None:
    # 3 lost, 12 gained, 5 right both times: 15 discordant pairs (< 25), exact two-sided
    # p = 2 * (C(15,0) + C(15,1) + C(15,2) + C(15,3)) / 2^15 = 2 * 576 / 32768 = 0.03515625
    pairs = [(True, False)] * 3 + [(False, True)] * 12 + [(True, True)] * 5
    m = rules.mcnemar(pairs)
    assert (m.n, m.lost, m.gained, m.right_before, m.right_after) == (20, 3, 12, 8, 17)
    assert m.exact
    assert m.p_value == pytest.approx(0.03515625)
    assert m.statistic == pytest.approx(64 / 15)


def test_mcnemar_chi_square_by_hand() -> None:
    # 10 lost, 30 gained: (|10 - 30| - 1)^2 / 40 = 9.025; p = P(chi2_1 > 9.025) = 0.002663
    m = rules.mcnemar([(True, False)] * 10 + [(False, True)] * 30)
    assert not m.exact
    assert m.statistic == pytest.approx(9.025)
    assert m.p_value == pytest.approx(0.002663, abs=1e-5)
    assert rules.mcnemar([(True, True)]).p_value is None


def test_age_band_and_months() -> None:
    on = dt.date(2026, 6, 1)
    assert rules.age_band(dt.date(2012, 6, 2), on) == "0-14"
    assert rules.age_band(dt.date(2001, 6, 1), on) == "25-44"
    assert rules.age_band(dt.date(1960, 1, 1), on) == "60+"
    assert rules.add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2025, 1, 15), 12) == dt.date(2026, 1, 15)


def test_score_and_question_check() -> None:
    assert rules.score({1: "a", 2: "c", 3: "b"}, {1: "a", 2: "b", 3: "b"}) == 2
    assert rules.check_question("Apa itu PBI?", ["Iuran dibayar negara", "Iuran sendiri"], "a") == []
    assert rules.check_question("Apa?", ["satu"], "a")
    assert rules.check_question("Apa?", ["satu", "dua"], "c")


def test_comparison_group_same_cell_each_once_and_deterministic() -> None:
    cell = rules.HouseholdCell
    attending = [cell(1, "A", 2), cell(2, "A", 2), cell(3, "B", 1), cell(4, "A", None)]
    pool = [cell(10, "A", 2), cell(11, "A", 3), cell(12, "B", 2), cell(13, "A", 2), cell(1, "A", 2)]
    matched = rules.comparison_group(attending, pool, per=1, seed="x")
    assert sorted(matched[1] + matched[2]) == [10, 13]  # same kelurahan and desil, each used once
    assert matched[3] == [] and matched[4] == []  # no household of B in desil 1; no desil
    assert matched == rules.comparison_group(attending, pool, per=1, seed="x")


def test_rank_kelurahan() -> None:
    ranked = rules.rank_kelurahan({"a": (5, 100), "b": (9, 50), "c": (5, 10), "d": (0, 10)}, n=3)
    assert [s.kelurahan for s in ranked] == ["b", "c", "a"]
    assert ranked[1].rate == pytest.approx(0.5)
