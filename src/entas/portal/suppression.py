"""Small-cell suppression of published tables (pure: numbers in, a table with holes out).

A table of counts is published with its row totals, column totals and grand total. A cell (or a
total) counting fewer than ``k`` people but more than none is **primary**-suppressed. Publishing the
rest could still give it away: a row whose total is known and whose other cells are shown lets a
reader subtract. So cells are **complementarily** suppressed until no suppressed number can be
recomputed from what is published.

The check is exact linear algebra, not a rule of thumb. Write every row and column as an equation
(cells minus total = 0); the suppressed numbers are the unknowns, the published ones constants. A
suppressed number is recoverable exactly when every solution of the homogeneous system gives it the
value 0, i.e. when its row of the null-space basis is zero. Only numbers above zero are ever
suppressed, so all unknowns lie strictly inside the non-negative orthant: the bounds "a count is
not negative" add no equation that could pin a value (tests/portal/test_suppression.py checks
every suppressed cell against a linear programme's minimum and maximum). While some suppressed
number is recoverable, the smallest published positive cell of its row or column is suppressed
too; each round hides one more number, so the loop ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TOTAL = -1  # the index of the total in a line: (i, TOTAL) is row i's total, (TOTAL, j) column j's

Key = tuple[int, int]


@dataclass(frozen=True)
class Published:
    """A table as published: None where a number is suppressed."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None

    @property
    def suppressed(self) -> int:
        hidden = sum(v is None for row in self.cells for v in row)
        hidden += sum(v is None for v in self.row_totals) + sum(v is None for v in self.column_totals)
        return hidden + (self.total is None)


def _value(values: Sequence[Sequence[int]], key: Key) -> int:
    i, j = key
    if i == TOTAL and j == TOTAL:
        return sum(sum(row) for row in values)
    if i == TOTAL:
        return sum(row[j] for row in values)
    if j == TOTAL:
        return sum(values[i])
    return values[i][j]


def _lines(rows: int, columns: int) -> list[list[tuple[Key, int]]]:
    """Every equation of the table: (element, sign) pairs summing to zero."""
    lines = []
    for i in [*range(rows), TOTAL]:
        lines.append([((i, j), 1) for j in range(columns)] + [((i, TOTAL), -1)])
    for j in [*range(columns), TOTAL]:
        lines.append([((i, j), 1) for i in range(rows)] + [((TOTAL, j), -1)])
    return lines


def recoverable(hidden: set[Key], rows: int, columns: int) -> set[Key]:
    """The suppressed elements whose value the published ones determine (see the module's note)."""
    if not hidden:
        return set()
    order = sorted(hidden)
    index = {key: n for n, key in enumerate(order)}
    lines = _lines(rows, columns)
    matrix = np.zeros((len(lines), len(order)))
    for r, line in enumerate(lines):
        for key, sign in line:
            if key in index:
                matrix[r, index[key]] = sign
    _u, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]  # rows: a basis of the null space
    if null.shape[0] == 0:
        return set(order)
    pinned = np.all(np.abs(null) < 1e-9, axis=0)
    return {order[n] for n in range(len(order)) if pinned[n]}


def suppress(values: Sequence[Sequence[int]], k: int = 10) -> Published:
    """Publish ``values`` (rows of non-negative counts) with its totals, hiding every number between 1
    and ``k - 1`` and as many others as it takes for none of them to be recomputed."""
    rows = len(values)
    columns = len(values[0]) if rows else 0
    if any(len(row) != columns for row in values):
        raise ValueError("every row needs the same number of cells")
    if any(v < 0 for row in values for v in row):
        raise ValueError("counts are not negative")
    elements = [(i, j) for i in [*range(rows), TOTAL] for j in [*range(columns), TOTAL]]
    hidden = {key for key in elements if 0 < _value(values, key) < k}
    lines = _lines(rows, columns)
    while exposed := recoverable(hidden, rows, columns):
        key = min(exposed)
        candidates = [
            other
            for line in lines
            if any(member == key for member, _sign in line)
            for other, _sign in line
            if other not in hidden and _value(values, other) > 0
        ]
        if not candidates:  # its lines are hidden already: widen to the table (all positive ones hidden is safe)
            candidates = [other for other in elements if other not in hidden and _value(values, other) > 0]
        # The smallest cell first (totals last): hide as little as possible, and cells before totals.
        hidden.add(min(candidates, key=lambda o: (TOTAL in o, _value(values, o), o)))

    def shown(key: Key) -> int | None:
        return None if key in hidden else _value(values, key)

    return Published(
        cells=[[shown((i, j)) for j in range(columns)] for i in range(rows)],
        row_totals=[shown((i, TOTAL)) for i in range(rows)],
        column_totals=[shown((TOTAL, j)) for j in range(columns)],
        total=shown((TOTAL, TOTAL)),
    )
