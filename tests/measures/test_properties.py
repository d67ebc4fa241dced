"""The property checklist of ../shared/oracles/properties.md as Hypothesis tests (O11)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from entas import measures as m

welfare = st.lists(st.integers(1, 10_000).map(float), min_size=2, max_size=60)
int_weights = st.integers(1, 20)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@st.composite
def sample(draw: st.DrawFn) -> tuple[list[float], list[int], float]:
    y = draw(welfare)
    w = draw(st.lists(int_weights, min_size=len(y), max_size=len(y)))
    z = draw(st.integers(int(min(y)), int(max(y)))) + 0.5
    return y, w, z


def all_measures(y: list[float], w: list[float] | list[int], z: float) -> list[float]:
    return [
        m.fgt(y, z, 0, weights=w),
        m.fgt(y, z, 1, weights=w),
        m.fgt(y, z, 2, weights=w),
        m.watts(y, z, weights=w),
        m.gini(y, weights=w),
        m.mld(y, weights=w),
        m.theil(y, weights=w),
        m.generalized_entropy(y, 2, weights=w),
        m.atkinson(y, 0.5, weights=w),
        m.atkinson(y, 1, weights=w),
        m.atkinson(y, 2, weights=w),
        m.sst(y, z, weights=w),
    ]


@given(sample())
def test_a1_row_replication(data: tuple) -> None:
    y, w, z = data
    assert all(close(a, b) for a, b in zip(all_measures(y, w, z), all_measures(y + y, w + w, z), strict=True))


@given(sample(), st.floats(0.01, 100))
def test_a2_weight_scaling(data: tuple, c: float) -> None:
    y, w, z = data
    scaled = [c * x for x in w]
    assert all(close(a, b) for a, b in zip(all_measures(y, w, z), all_measures(y, scaled, z), strict=True))


@given(sample())
def test_a3_integer_weights_are_repeated_rows(data: tuple) -> None:
    y, w, z = data
    repeated = list(np.repeat(y, w))
    ones = [1] * len(repeated)
    assert all(close(a, b) for a, b in zip(all_measures(y, w, z), all_measures(repeated, ones, z), strict=True))
    # The exact Sen index depends on N (its q + 1 terms), so it is not invariant to A1/A2, but its
    # weighted form is built so that integer weights still equal repeated rows.
    assert close(m.sen(y, z, weights=w), m.sen(repeated, z, weights=ones))


def test_a3_example_of_the_replication_convention() -> None:
    assert m.gini([1, 2], weights=[2, 1]) == pytest.approx(1 / 6)
    assert m.gini([1, 1, 2]) == pytest.approx(1 / 6)


@given(sample(), st.integers(-4, 4))
def test_a4_a5_scale_invariance(data: tuple, power: int) -> None:
    y, w, z = data
    c = 2.0**power
    cy = [c * v for v in y]
    for alpha in (0, 1, 2):
        assert close(m.fgt(y, z, alpha, weights=w), m.fgt(cy, c * z, alpha, weights=w))
    assert close(m.watts(y, z, weights=w), m.watts(cy, c * z, weights=w))
    for f in (m.gini, m.mld, m.theil, m.palma, m.quantile_share_ratio):
        assert close(f(y, weights=w), f(cy, weights=w))
    assert close(m.atkinson(y, 2, weights=w), m.atkinson(cy, 2, weights=w))


@given(sample(), st.data())
def test_b1_focus_axiom(data: tuple, draw: st.DataObject) -> None:
    y, w, z = data
    richer = [v if v < z else v + draw.draw(st.integers(0, 1000)) for v in y]
    for f in (
        lambda v: m.fgt(v, z, 1, weights=w),
        lambda v: m.fgt(v, z, 2, weights=w),
        lambda v: m.watts(v, z, weights=w),
        lambda v: m.sen(v, z, weights=w),
        lambda v: m.sst(v, z, weights=w),
    ):
        assert close(f(y), f(richer))


@given(welfare, st.data())
def test_c1_c2_pigou_dalton(y: list[float], draw: st.DataObject) -> None:
    ys = sorted(y)
    i, j = 0, len(ys) - 1
    assume(ys[j] - ys[i] >= 2)
    d = draw.draw(st.floats(0.5, (ys[j] - ys[i]) / 2))
    after = ys.copy()
    after[i] += d
    after[j] -= d
    assert m.gini(after) < m.gini(ys)
    for f in (m.mld, m.theil, lambda v: m.atkinson(v, 0.5), lambda v: m.atkinson(v, 2)):
        assert f(after) <= f(ys) + 1e-12
    z = ys[j] + 1.0  # both poor
    assert m.fgt(after, z, 2) < m.fgt(ys, z, 2)
    assert close(m.fgt(after, z, 1), m.fgt(ys, z, 1)) and close(m.fgt(after, z, 0), m.fgt(ys, z, 0))


@given(sample(), st.lists(st.integers(0, 3), min_size=60, max_size=60))
def test_d1_fgt_decomposes_by_subgroup(data: tuple, labels: list[int]) -> None:
    y, w, z = data
    groups = labels[: len(y)]
    for alpha in (0, 1, 2):
        parts = m.decompose_fgt(y, z, groups, alpha, weights=w)
        total = m.fgt(y, z, alpha, weights=w)
        assert close(sum(p.population_share * p.value for p in parts), total)
        if total > 0:
            assert close(sum(p.contribution for p in parts), 1.0)


@settings(max_examples=50)
@given(st.integers(2, 40), st.integers(2, 6), st.data())
def test_d2_alkire_foster_identities(n: int, d: int, draw: st.DataObject) -> None:
    rng = np.random.default_rng(draw.draw(st.integers(0, 10_000)))
    g0 = (rng.random((n, d)) < 0.4).astype(float)
    v = np.full(d, 1 / d)
    k = draw.draw(st.sampled_from([1 / d, 2 / d, 0.5]))
    r = m.mpi(g0, v, k)
    assert close(r.M0, r.H * r.A)
    assert close(r.M0, float((v * r.censored_headcounts).sum()))
    if r.M0 > 0:
        assert close(float(r.contributions.sum()), 1.0)
    groups = rng.integers(0, 3, n)
    total = sum((groups == g).mean() * m.mpi(g0[groups == g], v, k).M0 for g in np.unique(groups))
    assert close(total, r.M0)


@given(sample(), st.lists(st.integers(0, 2), min_size=60, max_size=60))
def test_d3_theil_decomposes(data: tuple, labels: list[int]) -> None:
    y, w, _ = data
    ya, wa, ga = np.asarray(y), np.asarray(w, dtype=float), np.asarray(labels[: len(y)])
    total = (wa * ya).sum()
    means = {g: (wa[ga == g] * ya[ga == g]).sum() / wa[ga == g].sum() for g in np.unique(ga)}
    within = sum((wa[ga == g] * ya[ga == g]).sum() / total * m.theil(ya[ga == g], weights=wa[ga == g]) for g in means)
    between = m.theil(np.array([means[g] for g in ga]), weights=wa)
    assert math.isclose(m.theil(ya, weights=wa), within + between, rel_tol=1e-9, abs_tol=1e-12)


@given(sample())
def test_e1_e2_e3_identities(data: tuple) -> None:
    y, w, z = data
    ya, wa = np.asarray(y), np.asarray(w, dtype=float)
    p0 = m.fgt(y, z, 0, weights=w)
    assume(p0 > 0)
    g = m.gaps(ya, z)
    p1p = (wa * g).sum() / wa[g > 0].sum()
    assert close(m.sst(y, z, weights=w), p0 * p1p * (1 + m.gini(g, weights=w)))
    poor = ya < z
    mu_p = (wa[poor] * ya[poor]).sum() / wa[poor].sum()
    assert close(m.watts(y, z, weights=w), p0 * (math.log(z / mu_p) + m.mld(ya[poor], weights=wa[poor])))
    ones = [1] * len(y)
    ys = np.sort(ya)
    q = int((ys < z).sum())
    n = len(y)
    gs = (z - ys[:q]) / z
    assert close(m.sst(y, z, weights=ones), float(((2 * n - 2 * np.arange(1, q + 1) + 1) * gs).sum() / n**2))


def test_invalid_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="negative value at position 1"):
        m.fgt([1, -2], 1)
    with pytest.raises(ValueError, match="missing or infinite value at position 0"):
        m.gini([float("nan"), 1])
    with pytest.raises(ValueError, match="weights sum to zero"):
        m.gini([1, 2], weights=[0, 0])
    with pytest.raises(ValueError, match="y has 2 values but weights has 3"):
        m.gini([1, 2], weights=[1, 1, 1])
    with pytest.raises(ValueError, match="poverty line"):
        m.fgt([1, 2], 0)
    with pytest.raises(ValueError, match="empty"):
        m.gini([])


def test_quantiles_follow_laeken() -> None:
    assert m.weighted_quantile([1, 2, 3, 4], 0.5) == 2.5
    assert m.weighted_quantile([1, 2, 3], 0.5) == 2
    assert m.weighted_quantile([1, 2, 3, 4], 0.5, weights=[3, 1, 1, 1]) == 1.5
    assert m.lorenz([1, 1, 2], [0, 1 / 3, 1]).tolist() == pytest.approx([0, 0.25, 1])
