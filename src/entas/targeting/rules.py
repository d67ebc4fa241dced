"""The eligibility rule language: small, safe, vectorised. Pure numpy, no Django.

A rule is one expression over a household's fields and aggregates over its members, e.g.

    desil <= 4 and count(members, age < 18 and not in_school) >= 1
    dtsen_desil in [1, 2] or (size >= 5 and not has_car)
    any(members, disabled) and kecamatan == "64.71.01"

It is parsed with Python's ``ast`` module in expression mode (parsing only; nothing is ever passed
to ``eval``), then checked against a whitelist of node kinds, names and types, and compiled to numpy
operations over whole columns. Every error names what is wrong and where (1-based column).

Grammar: literals (numbers, "text", true/false); field names; comparisons ``< <= > >= == !=`` (also
chained, ``1 <= desil <= 4``) and ``in [...]`` / ``not in [...]``; ``and``, ``or``, ``not``;
arithmetic ``+ - * /``; aggregates over the members of the household: ``count(members, condition)``,
``any(members, condition)``, ``all(members, condition)``, ``sum(members, value)``,
``min(members, value)``, ``max(members, value)``. Member fields are only valid inside an aggregate.

Limits (docs/targeting.md): numbers lie within ±10^15 with at most 15 significant digits and decimal
places (float64 holds them exactly), also when computed from numbers alone; no division by a literal
zero; both sides of every comparison have one kind; text and conditions compare only with == and !=;
a chain ``a < b <= c`` means ``a < b and b <= c``; a list test (``in``) and a comparison of conditions
do not chain; no ``#`` comments. What compiles evaluates without raising to one true/false per household.
"""

from __future__ import annotations

import ast
import io
import logging
import math
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.errors import Problem, Refused

logger = logging.getLogger(__name__)

MAX_LENGTH = 1000
MAX_NODES = 300
MAX_DEPTH = 30
# Numbers are compared as float64. Every integer up to 2**53 (about 9.007e15) and every decimal of at
# most 15 significant digits (DBL_DIG) survives the conversion exactly, so a literal within these
# bounds means what it says; beyond them "desil < 1e400" would become infinity, a 401-digit integer
# would not convert at all and "0.1234567890123456789" would be silently rounded.
MAX_NUMBER = 10**15
MAX_DIGITS = 15

# name → type ("number", "bool", "text") and meaning; the registry loader provides these columns.
HOUSEHOLD_FIELDS: dict[str, tuple[str, str]] = {
    "desil": ("number", "city desil of the latest PMT score (1 = poorest tenth)"),
    "predicted_consumption": ("number", "PMT predicted consumption per capita per month (Rp)"),
    "dtsen_desil": ("number", "DTSEN desil, kab/kota ranking (imported)"),
    "dtsen_desil_national": ("number", "DTSEN desil, national ranking (imported)"),
    "size": ("number", "current members of the family"),
    "floor_area": ("number", "floor area (m²)"),
    "floor_area_per_person": ("number", "floor area per member (m²)"),
    "kelurahan": ("text", "Kemendagri code of the kelurahan"),
    "kecamatan": ("text", "Kemendagri code of the kecamatan"),
    "status": ("text", "verification status: usulan, diverifikasi, disahkan, ditolak"),
    "has_car": ("bool", "owns a car"),
    "has_motorcycle": ("bool", "owns a motorcycle"),
    "has_fridge": ("bool", "owns a refrigerator"),
    "has_ac": ("bool", "owns an air conditioner"),
    "has_computer": ("bool", "owns a computer"),
    "has_gold": ("bool", "owns gold ≥ 10 g"),
    "owns_land": ("bool", "owns land elsewhere"),
    "bank_account": ("bool", "has an active bank account"),
    "receives_pkh": ("bool", "receives PKH"),
    "receives_bpnt": ("bool", "receives BPNT/Sembako"),
}
MEMBER_FIELDS: dict[str, tuple[str, str]] = {
    "age": ("number", "age in years"),
    "female": ("bool", "is a woman"),
    "head": ("bool", "is the head of the family"),
    "in_school": ("bool", "attends school"),
    "working": ("bool", "worked last week"),
    "disabled": ("bool", "a lot of difficulty or cannot do in some Washington Group domain"),
    "pregnant": ("bool", "is pregnant"),
    "chronic_illness": ("bool", "has a chronic illness"),
    "pbi": ("bool", "health insurance paid by the state (PBI)"),
}
AGGREGATES = {"count": "number", "any": "bool", "all": "bool", "sum": "number", "min": "number", "max": "number"}
COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
ARITHMETIC = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide}


KINDS = {"number": gettext_lazy("number"), "bool": gettext_lazy("condition"), "text": gettext_lazy("text")}


def _kind(kind: str) -> str:
    return str(KINDS.get(kind, kind))


class RuleError(Refused):
    """An invalid rule: ``column`` (1-based, in characters) points at the problem, ``message`` says
    what it is. A refusal (code ``invalid_rule``) whose one issue, on the field ``expression``, reads
    "column N: message"; ``str()`` gives the same."""

    def __init__(self, message: str, column: int = 1):
        positioned = _("column %(column)d: %(message)s") % {"column": column, "message": message}
        super().__init__(positioned, code="invalid_rule", issues=[Problem("expression", positioned)])
        self.message = str(message)
        self.column = column


@dataclass(frozen=True)
class Compiled:
    """A checked rule, ready to evaluate on column arrays any number of times."""

    source: str
    evaluate: Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray]], np.ndarray]
    fields: frozenset[str]


Value = Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray]], Any]


def compile_rule(source: str, *, on: str = "households") -> Compiled:
    """Parse, check and compile a rule, or raise RuleError with the position of the problem.

    ``on="members"`` compiles a condition on each member (member fields, and household fields
    repeated for each member), evaluating to one true/false per member: the monitoring indicators
    count people with the same language and evaluator as targeting counts households.

    A rule that compiles evaluates, on any columns of the right kinds, to one true/false per
    household without raising: everything that could fail at evaluation (a number beyond float64's
    exact range, a comparison between kinds, a chain that would mean something other than it reads,
    a division by a literal zero) is refused here."""
    text = source.strip()
    if not text:
        raise RuleError(_("the rule is empty"))
    if len(text) > MAX_LENGTH:
        raise RuleError(_("the rule is longer than %(n)d characters") % {"n": MAX_LENGTH}, MAX_LENGTH)
    # One line, each line break one space (columns stay those of the text): a rule typed in a form
    # arrives with \r\n.
    line = text.replace("\r", " ").replace("\n", " ")
    try:
        tree = ast.parse(line, mode="eval")
    except SyntaxError as exc:
        column = exc.offset or 1
        try:  # an incomplete rule ("desil <=") fails at its end, whatever offset Python reports
            ast.parse(line + " 0", mode="eval")
            column = len(text) + 1
        except SyntaxError:
            pass
        raise RuleError(_("syntax error: %(error)s") % {"error": exc.msg}, column) from None
    except (RecursionError, MemoryError, ValueError):
        raise RuleError(_("the rule is too deeply nested")) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise RuleError(_("the rule has more than %(n)d parts") % {"n": MAX_NODES})
    for token in tokenize.generate_tokens(io.StringIO(line).readline):
        # With its line breaks gone, a comment would silently swallow the lines after it
        # ("desil <= 4  # poorest⏎and not has_car" would select on the desil alone).
        if token.type == tokenize.COMMENT:
            raise RuleError(
                _("'#' starts a comment, which would hide the rest of the rule: comments are not allowed"),
                token.start[1] + 1,
            )
    used: set[str] = set()
    compiler = _Compiler(used, line)
    on_members = on == "members"
    kind, fn = compiler.compile(tree.body, member=on_members, depth=0)
    if kind != "bool":
        raise RuleError(
            _("a rule must be a condition (true or false), not a %(kind)s") % {"kind": _kind(kind)},
            compiler.column(tree.body),
        )

    def evaluate(households: Mapping[str, np.ndarray], members: Mapping[str, np.ndarray]) -> np.ndarray:
        if on_members:
            n = len(members["household"])
        else:
            n = len(households["size"]) if "size" in households else len(next(iter(households.values())))
        try:
            result = fn(households, members)
            return np.broadcast_to(np.asarray(result, dtype=bool), (n,)).copy()
        except (ArithmeticError, TypeError, ValueError) as exc:
            # The checks above make this unreachable for columns of the documented kinds; should a
            # column arrive in an unexpected form, the rule is refused by name instead of a 500.
            logger.exception("rule %r failed on its columns", text)
            raise RuleError(_("the rule cannot be evaluated on the registry (%(error)s)") % {"error": exc}) from exc

    return Compiled(text, evaluate, frozenset(used))


class _Compiler:
    def __init__(self, used: set[str], source: str):
        self.used = used
        self.source = source
        self.encoded = source.encode()
        # The value of every constant number (a literal, or arithmetic on literals) by node.
        self.constants: dict[ast.AST, float] = {}

    def column(self, node: ast.AST) -> int:
        """1-based column, in characters, of ``node`` (``ast`` counts UTF-8 bytes)."""
        return self._characters(getattr(node, "col_offset", 0)) + 1

    def _characters(self, byte_offset: int) -> int:
        return len(self.encoded[:byte_offset].decode(errors="ignore"))

    def operator_column(self, left: ast.AST) -> int:
        """1-based column of the operator written after ``left`` (past spaces and closing parentheses)."""
        at = self._characters(getattr(left, "end_col_offset", None) or 0)
        while at < len(self.source) and self.source[at] in " )":
            at += 1
        return at + 1

    def part(self, node: ast.AST, limit: int = 40) -> str:
        """``node`` as the rule writes it (for messages)."""
        return (ast.get_source_segment(self.source, node) or ast.unparse(node))[:limit]

    def compile(self, node: ast.AST, *, member: bool, depth: int) -> tuple[str, Value]:
        if depth > MAX_DEPTH:
            raise RuleError(_("the rule is too deeply nested"), self.column(node))
        method = getattr(self, f"node_{type(node).__name__}", None)
        if method is None:
            raise RuleError(_("'%(part)s' is not allowed in a rule") % {"part": self.part(node)}, self.column(node))
        result: tuple[str, Value] = method(node, member=member, depth=depth + 1)
        return result

    def number(self, node: ast.Constant) -> float:
        """The value of a number literal, refused unless float64 holds exactly what is written."""
        value = node.value
        assert isinstance(value, int | float)
        written = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        shown = written if len(written) <= 30 else written[:27] + "…"
        if isinstance(value, int):
            exact = Decimal(value)
        else:
            try:
                exact = Decimal(written)
            except InvalidOperation:  # pragma: no cover - ast only yields decimal float literals
                exact = Decimal(repr(value))
        if not exact.is_finite() or abs(exact) > MAX_NUMBER:
            raise RuleError(
                _("the number %(number)s is too large: a rule's numbers lie between -10^15 and 10^15")
                % {"number": shown},
                self.column(node),
            )
        if exact:
            _sign, digits, exponent = exact.as_tuple()
            assert isinstance(exponent, int)
            significant = list(digits)
            while len(significant) > 1 and significant[-1] == 0:
                significant.pop()
                exponent += 1
            if len(significant) > MAX_DIGITS or -exponent > MAX_DIGITS:
                raise RuleError(
                    _(
                        "the number %(number)s is too precise: a rule's numbers have at most %(n)d significant "
                        "digits and %(n)d decimal places"
                    )
                    % {"number": shown, "n": MAX_DIGITS},
                    self.column(node),
                )
        return float(value)

    def node_Constant(self, node: ast.Constant, **kwargs: Any) -> tuple[str, Value]:
        value = node.value
        if isinstance(value, bool):
            return "bool", lambda h, m: value
        if isinstance(value, int | float):
            number = self.number(node)
            self.constants[node] = number
            return "number", lambda h, m: number
        if isinstance(value, str):
            return "text", lambda h, m: value
        raise RuleError(_("%(value)r is not a number, text or true/false") % {"value": value}, self.column(node))

    def node_Name(self, node: ast.Name, *, member: bool, **kwargs: Any) -> tuple[str, Value]:
        name = node.id
        if name in {"true", "false"}:
            return "bool", (lambda h, m: True) if name == "true" else (lambda h, m: False)
        if name in MEMBER_FIELDS:
            if not member:
                raise RuleError(
                    _("'%(name)s' is a member field: use it inside count(members, …), any(members, …) …")
                    % {"name": name},
                    self.column(node),
                )
            self.used.add(name)
            return MEMBER_FIELDS[name][0], lambda h, m: m[name]
        if name in HOUSEHOLD_FIELDS:
            if member:
                # A household field inside a member condition: repeat it for each member.
                self.used.add(name)
                return HOUSEHOLD_FIELDS[name][0], lambda h, m: np.asarray(h[name])[m["household"]]
            self.used.add(name)
            return HOUSEHOLD_FIELDS[name][0], lambda h, m: h[name]
        if name == "members":
            raise RuleError(_("'members' only goes inside an aggregate such as count(members, …)"), self.column(node))
        known = ", ".join(sorted(HOUSEHOLD_FIELDS))
        raise RuleError(
            _("unknown field '%(name)s' (household fields: %(known)s)") % {"name": name, "known": known},
            self.column(node),
        )

    def node_BoolOp(self, node: ast.BoolOp, *, member: bool, depth: int) -> tuple[str, Value]:
        parts = [self._expect(v, "bool", member, depth) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def run(h: Any, m: Any) -> Any:
            result = parts[0](h, m)
            for part in parts[1:]:
                result = combine(result, part(h, m))
            return result

        return "bool", run

    def node_UnaryOp(self, node: ast.UnaryOp, *, member: bool, depth: int) -> tuple[str, Value]:
        if isinstance(node.op, ast.Not):
            inner = self._expect(node.operand, "bool", member, depth)
            return "bool", lambda h, m: np.logical_not(inner(h, m))
        if isinstance(node.op, ast.USub):
            inner = self._expect(node.operand, "number", member, depth)
            if node.operand in self.constants:
                self.constants[node] = -self.constants[node.operand]
            return "number", lambda h, m: np.negative(inner(h, m))
        raise RuleError(_("the operator in '%(part)s' is not allowed") % {"part": self.part(node)}, self.column(node))

    def node_BinOp(self, node: ast.BinOp, *, member: bool, depth: int) -> tuple[str, Value]:
        op = ARITHMETIC.get(type(node.op))
        if op is None:
            raise RuleError(
                _("the operator in '%(part)s' is not allowed (use + - * /)") % {"part": self.part(node)},
                self.column(node),
            )
        left = self._expect(node.left, "number", member, depth)
        right = self._expect(node.right, "number", member, depth)
        if op is np.true_divide and self.constants.get(node.right, 1.0) == 0:
            raise RuleError(_("division by zero in '%(part)s'") % {"part": self.part(node)}, self.column(node.right))
        if node.left in self.constants and node.right in self.constants:
            # Arithmetic on numbers alone is a number too, held to the same bounds as a literal.
            value = float(op(self.constants[node.left], self.constants[node.right]))
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise RuleError(
                    _("'%(part)s' is too large: a rule's numbers lie between -10^15 and 10^15")
                    % {"part": self.part(node)},
                    self.column(node),
                )
            self.constants[node] = value

        def run(h: Any, m: Any) -> Any:
            # A column's own values may still overflow (inf) or divide 0 by 0 (NaN, never true).
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return op(left(h, m), right(h, m))

        return "number", run

    def node_Compare(self, node: ast.Compare, *, member: bool, depth: int) -> tuple[str, Value]:
        """``a < b <= c`` means ``a < b and b <= c``, as in Python; each link is checked on its own.
        A list membership (``in``, ``not in``) and a comparison of conditions do not chain: Python would
        read ``desil in [1, 2] == true`` as ``desil in [1, 2] and [1, 2] == true``, which no one means."""
        chained = len(node.ops) > 1
        steps = []
        left_node = node.left
        left_kind, left = self.compile(left_node, member=member, depth=depth)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if chained:
                    written = "not in" if isinstance(op, ast.NotIn) else "in"
                    raise RuleError(
                        _(
                            "'%(op)s' cannot be chained with another comparison: put the list test in "
                            "parentheses, e.g. (%(part)s) == true, or join the conditions with 'and'"
                        )
                        % {"op": written, "part": f"{self.part(left_node, 30)} {written} {self.part(right_node, 30)}"},
                        self.operator_column(left_node),
                    )
                steps.append(self._membership(left_kind, left, op, right_node))
                continue
            function = COMPARE.get(type(op))
            if function is None:
                raise RuleError(_("'is' is not allowed: use == or !="), self.column(node))
            right_kind, right = self.compile(right_node, member=member, depth=depth)
            if left_kind != right_kind:
                raise RuleError(
                    _("cannot compare a %(left)s with a %(right)s ('%(a)s' and '%(b)s')")
                    % {
                        "left": _kind(left_kind),
                        "right": _kind(right_kind),
                        "a": self.part(left_node, 30),
                        "b": self.part(right_node, 30),
                    },
                    self.column(right_node),
                )
            if left_kind == "text" and function not in (np.equal, np.not_equal):
                raise RuleError(_("text can only be compared with == or !="), self.column(right_node))
            if left_kind == "bool" and function not in (np.equal, np.not_equal):
                raise RuleError(_("conditions can only be compared with == or !="), self.column(right_node))
            if left_kind == "bool" and chained:
                raise RuleError(
                    _("comparisons of conditions cannot be chained: use parentheses, e.g. (has_car == true) == false"),
                    self.operator_column(left_node),
                )
            steps.append(_compare(function, left, right, left_kind))
            left_node, left_kind, left = right_node, right_kind, right

        def run(h: Any, m: Any) -> Any:
            result = steps[0](h, m)
            for step in steps[1:]:
                result = np.logical_and(result, step(h, m))
            return result

        return "bool", run

    def _membership(self, kind: str, left: Value, op: ast.cmpop, right: ast.AST) -> Value:
        if not isinstance(right, ast.List | ast.Tuple):
            raise RuleError(_("'in' needs a list, e.g. desil in [1, 2, 3]"), self.column(right))
        if kind not in ("number", "text"):
            raise RuleError(
                _("only a number or a text can be looked up in a list, not a %(kind)s") % {"kind": _kind(kind)},
                self.column(right),
            )
        values: list[Any] = []
        for element in right.elts:
            negative = isinstance(element, ast.UnaryOp) and isinstance(element.op, ast.USub)
            literal = element.operand if isinstance(element, ast.UnaryOp) and negative else element
            if (
                not isinstance(literal, ast.Constant)
                or isinstance(literal.value, bool)
                or not isinstance(literal.value, int | float | str)
                or (negative and isinstance(literal.value, str))
            ):
                raise RuleError(_("a list may only hold numbers or text"), self.column(element))
            element_kind = "text" if isinstance(literal.value, str) else "number"
            if element_kind != kind:
                raise RuleError(
                    _("the list holds a %(found)s but the value is a %(kind)s")
                    % {"found": _kind(element_kind), "kind": _kind(kind)},
                    self.column(element),
                )
            if kind == "text":
                values.append(literal.value)
            else:
                values.append(-self.number(literal) if negative else self.number(literal))
        negate = isinstance(op, ast.NotIn)

        def run(h: Any, m: Any) -> Any:
            found = np.isin(np.asarray(left(h, m), dtype=object if kind == "text" else float), values)
            return np.logical_not(found) if negate else found

        return run

    def node_Call(self, node: ast.Call, *, member: bool, depth: int) -> tuple[str, Value]:
        if not isinstance(node.func, ast.Name) or node.func.id not in AGGREGATES:
            raise RuleError(
                _("only the aggregates %(names)s may be called") % {"names": ", ".join(AGGREGATES)}, self.column(node)
            )
        name = node.func.id
        if member:
            raise RuleError(
                _("%(name)s(…) cannot be nested inside another aggregate") % {"name": name}, self.column(node)
            )
        if (
            node.keywords
            or len(node.args) != 2
            or not (isinstance(node.args[0], ast.Name) and node.args[0].id == "members")
        ):
            raise RuleError(_("write %(name)s(members, …)") % {"name": name}, self.column(node))
        expected = "bool" if name in {"count", "any", "all"} else "number"
        inner = self._expect(node.args[1], expected, True, depth)

        def run(h: Any, m: Any) -> Any:
            n = len(h["size"])
            index = m["household"]
            values = np.broadcast_to(np.asarray(inner(h, m), dtype=float), index.shape)
            if name in {"count", "any"}:
                total = np.bincount(index, weights=values, minlength=n)
                return total if name == "count" else total > 0
            if name == "all":
                return np.bincount(index, weights=1 - values, minlength=n) == 0
            if name == "sum":
                return np.bincount(index, weights=values, minlength=n)
            fill = np.inf if name == "min" else -np.inf
            out = np.full(n, fill)
            with np.errstate(invalid="ignore"):  # a missing value makes the household's min/max missing
                (np.minimum if name == "min" else np.maximum).at(out, index, values)
            return np.where(np.isfinite(out), out, np.nan)

        return AGGREGATES[name], run

    def _expect(self, node: ast.AST, kind: str, member: bool, depth: int) -> Value:
        found, fn = self.compile(node, member=member, depth=depth)
        if found != kind:
            raise RuleError(
                _("'%(part)s' is a %(found)s, but a %(kind)s is needed here")
                % {"part": self.part(node), "found": _kind(found), "kind": _kind(kind)},
                self.column(node),
            )
        return fn


def _compare(function: Any, left: Value, right: Value, kind: str) -> Value:
    def run(h: Any, m: Any) -> Any:
        a, b = left(h, m), right(h, m)
        if kind == "text":
            result = np.asarray(a, dtype=object) == np.asarray(b, dtype=object)
            return result if function is np.equal else np.logical_not(result)
        # Missing numbers (NaN) compare false: a household without a desil is not "desil <= 4".
        with np.errstate(invalid="ignore"):
            return function(np.asarray(a, dtype=float), np.asarray(b, dtype=float))

    return run
