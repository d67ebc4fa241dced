"""Small-cell suppression: no cell below k is published, and no suppressed number can be recomputed
from the published ones (checked with a linear programme: its minimum and maximum differ)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from entas.portal.suppression import TOTAL, Published, suppress

K = 10


def _elements(published: Published) -> dict[tuple[int, int], int | None]:
    rows, columns = len(published.row_totals), len(published.column_totals)
    out: dict[tuple[int, int], int | None] = {}
    for i in range(rows):
        for j in range(columns):
            out[(i, j)] = published.cells[i][j]
        out[(i, TOTAL)] = published.row_totals[i]
    for j in range(columns):
        out[(TOTAL, j)] = published.column_totals[j]
    out[(TOTAL, TOTAL)] = published.total
    return out


def _bounds(published: Published) -> dict[tuple[int, int], tuple[float, float]]:
    """What a reader can deduce of each suppressed number: its least and greatest possible value,
    given every published number, every row and column sum, and that counts are not negative."""
    rows, columns = len(published.row_totals), len(published.column_totals)
    elements = _elements(published)
    unknown = sorted(k for k, v in elements.items() if v is None)
    index = {key: n for n, key in enumerate(unknown)}
    equations, rhs = [], []
    for line in [[((i, j), 1) for j in range(columns)] + [((i, TOTAL), -1)] for i in [*range(rows), TOTAL]] + [
        [((i, j), 1) for i in range(rows)] + [((TOTAL, j), -1)] for j in [*range(columns), TOTAL]
    ]:
        row = np.zeros(len(unknown))
        constant = 0.0
        for key, sign in line:
            if key in index:
                row[index[key]] += sign
            else:
                constant -= sign * elements[key]  # type: ignore[operator]
        if row.any():
            equations.append(row)
            rhs.append(constant)
    result = {}
    for key, n in index.items():
        objective = np.zeros(len(unknown))
        objective[n] = 1
        low = linprog(objective, A_eq=np.array(equations), b_eq=np.array(rhs), bounds=(0, None))
        high = linprog(-objective, A_eq=np.array(equations), b_eq=np.array(rhs), bounds=(0, None))
        assert low.status == 0 and high.status in (0, 3)  # 3: unbounded (no published total above it)
        result[key] = (low.fun, float("inf") if high.status == 3 else -high.fun)
    return result


tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda columns: st.lists(
            st.lists(st.one_of(st.integers(0, 12), st.integers(0, 200)), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=tables)
def test_no_suppressed_number_can_be_recomputed_and_none_below_k_is_shown(values: list[list[int]]) -> None:
    published = suppress(values, K)
    elements = _elements(published)
    for key, shown in elements.items():
        assert shown is None or shown == 0 or shown >= K, f"{key} = {shown} published"
    for key, (low, high) in _bounds(published).items():
        assert high - low > 0.5, f"{key} is recoverable: between {low} and {high}"


def test_a_single_small_cell_takes_a_partner_in_its_row_and_column() -> None:
    published = suppress([[3, 40, 50], [20, 30, 60]], K)
    assert published.cells[0][0] is None
    assert sum(v is None for v in published.cells[0]) >= 2
    assert sum(published.cells[i][0] is None for i in range(2)) >= 2
    assert published.total == 203 and published.row_totals == [93, 110]


def test_nothing_is_hidden_when_every_count_is_large_or_zero() -> None:
    published = suppress([[0, 40], [20, 0]], K)
    assert published.suppressed == 0


def test_bad_tables_are_refused() -> None:
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]], K)
    with pytest.raises(ValueError):
        suppress([[-1]], K)
