"""Registry indicators on Spark, over the registry's partitioned Parquet export (``entas export
parquet``): numerator and denominator by kelurahan, as :func:`entas.monitoring.engine.registry_counts`
computes them in the database (its rows without disaggregation), for a registry too large for one.

The conditions are the indicators' own, in the rule language: each is first compiled by
:func:`entas.targeting.rules.compile_rule` (so what is refused there is refused here, with the same
message), then written as a Spark expression by :func:`expression`, with the evaluator's meaning of
a missing value (a comparison with a missing number is false, its negation true, as numpy's NaN).
Counting people evaluates on the export's member rows (the household's cells are on each row);
counting families, on one row per family. Aggregates over the members of a family (``count(members,
…)``) are not written for Spark yet: such an indicator is refused by name.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from entas.targeting import spark as targeting_spark
from entas.targeting.rules import RuleError, compile_rule

# Rule-language names and the columns of the typed frames (entas.targeting.spark) that hold them.
HOUSEHOLD_COLUMNS = {
    "dtsen_desil": "desil_city",
    "dtsen_desil_national": "desil_national",
    "size": "size",
    "floor_area": "floor_area_m2",
    "floor_area_per_person": "floor_area_per_person",
    "kelurahan": "kelurahan",
    "kecamatan": "kecamatan",
    "has_car": "has_car",
    "has_motorcycle": "has_motorcycle",
    "has_fridge": "has_fridge",
    "has_ac": "has_ac",
    "has_computer": "has_computer",
    "has_gold": "has_gold",
    "owns_land": "owns_land",
    "bank_account": "bank_account",
    "receives_pkh": "receives_pkh",
    "receives_bpnt": "receives_bpnt",
}
MEMBER_COLUMNS = {
    name: name
    for name in ("age", "female", "head", "in_school", "working", "disabled", "pregnant", "chronic_illness", "pbi")
}


class NotOnSpark(RuleError):
    """A condition the rule language accepts that is not written for Spark yet."""


def expression(source: str, *, on: str) -> Any:
    """The condition ``source`` (rule language) as a Spark boolean column over the frame of ``on``
    (``households``: :func:`households`; ``members``: :func:`members`)."""
    compile_rule(source, on=on)  # the rule language's checks and messages first
    tree = ast.parse(source.strip().replace("\r", " ").replace("\n", " "), mode="eval")
    return _Writer(on == "members").condition(tree.body)


class _Writer:
    def __init__(self, member: bool):
        self.member = member

    def refuse(self, node: ast.AST) -> NotOnSpark:
        return NotOnSpark(
            _("%(part)s is not computed on Spark yet") % {"part": ast.unparse(node)}, getattr(node, "col_offset", 0) + 1
        )

    def condition(self, node: ast.AST) -> Any:
        """A true/false column, never NULL."""
        from pyspark.sql import functions as F

        return F.coalesce(self.value(node), F.lit(False))

    def value(self, node: ast.AST) -> Any:
        from pyspark.sql import functions as F

        if isinstance(node, ast.Constant):
            return F.lit(node.value)
        if isinstance(node, ast.Name):
            if node.id in {"true", "false"}:
                return F.lit(node.id == "true")
            column = (MEMBER_COLUMNS if self.member else {}).get(node.id) or HOUSEHOLD_COLUMNS.get(node.id)
            if column is None:
                raise self.refuse(node)
            return F.col(column)
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(v) for v in node.values]
            out = parts[0]
            for part in parts[1:]:
                out = (out & part) if isinstance(node.op, ast.And) else (out | part)
            return out
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~self.condition(node.operand)
            if isinstance(node.op, ast.USub):
                return -self.value(node.operand)
            raise self.refuse(node)
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            ops = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}
            if isinstance(node.op, ast.Div):
                return left / right
            for kind, result in ops.items():
                if isinstance(node.op, kind):
                    return result
            raise self.refuse(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise self.refuse(node)

    def compare(self, node: ast.Compare) -> Any:
        from pyspark.sql import functions as F

        out = F.lit(True)
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            left = self.value(left_node)
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right_node, ast.List | ast.Tuple):
                    raise self.refuse(node)
                found = F.coalesce(left.isin(*[self.value(e) for e in right_node.elts]), F.lit(False))
                out = out & (~found if isinstance(op, ast.NotIn) else found)
            else:
                right = self.value(right_node)
                tests = {
                    ast.Lt: left < right,
                    ast.LtE: left <= right,
                    ast.Gt: left > right,
                    ast.GtE: left >= right,
                    ast.Eq: left == right,
                }
                if isinstance(op, ast.NotEq):  # NaN != x is true in numpy: not (x = y or missing)
                    out = out & ~F.coalesce(left == right, F.lit(False))
                else:
                    test = next((t for kind, t in tests.items() if isinstance(op, kind)), None)
                    if test is None:
                        raise self.refuse(node)
                    out = out & F.coalesce(test, F.lit(False))
            left_node = right_node
        return out


def households(rows: Any, today: dt.date) -> Any:
    """One row per family: its cells (entas.targeting.spark.households), size and floor area per person."""
    from pyspark.sql import functions as F

    sizes = targeting_spark.members(rows, today).groupBy("household_id").agg(F.count(F.lit(1)).alias("size"))
    h = targeting_spark.households(rows).join(sizes, "household_id", "left")
    size = F.coalesce(F.col("size"), F.lit(0)).cast("double")
    return h.withColumn("size", size).withColumn(
        "floor_area_per_person", F.col("floor_area_m2") / F.greatest(size, F.lit(1.0))
    )


def members(rows: Any, today: dt.date) -> Any:
    """One row per person: the member columns and their family's."""
    h = households(rows, today)
    return targeting_spark.members(rows, today).join(h, "household_id", "inner")


def counts(rows: Any, indicators: Iterable[Any], *, today: dt.date) -> dict[str, dict[str, tuple[float, float]]]:
    """By indicator code: {kelurahan code: (numerator, denominator)} of each registry indicator
    (``code``, ``unit``, ``numerator``, ``denominator``: a monitoring Indicator or the like), the
    numerator counted within the denominator as the engine does. Every indicator of one unit is
    computed in one pass over its frame."""
    from pyspark.sql import functions as F

    frames = {"households": households(rows, today), "members": members(rows, today)}
    for frame in frames.values():
        frame.cache()
    by_unit: dict[str, list[Any]] = {"households": [], "members": []}
    for indicator in indicators:
        unit = "members" if str(indicator.unit) == "members" else "households"
        by_unit[unit].append(indicator)
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for unit, chosen in by_unit.items():
        if not chosen:
            continue
        sums = []
        for i, indicator in enumerate(chosen):
            den = expression(indicator.denominator or "true", on=unit)
            num = expression(indicator.numerator, on=unit) & den
            sums += [F.sum(num.cast("double")).alias(f"n{i}"), F.sum(den.cast("double")).alias(f"d{i}")]
        for row in frames[unit].groupBy("kelurahan").agg(*sums).collect():
            for i, indicator in enumerate(chosen):
                out.setdefault(indicator.code, {})[row["kelurahan"] or ""] = (float(row[f"n{i}"]), float(row[f"d{i}"]))
    for frame in frames.values():
        frame.unpersist()
    return out
