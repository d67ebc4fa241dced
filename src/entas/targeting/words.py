"""A rule in words: the rule language rendered for people ("female head of the family AND desil ≤ 4",
in Indonesian "kepala keluarga perempuan DAN desil ≤ 4"). Pure: no ORM, no request.

Every page that shows a rule shows this form beside (or instead of) the code: the template filter
``rule_words`` (``{% load targeting_rules %}``) calls :func:`describe`. A rule that does not compile is
returned as written (its problem is shown where it is edited)."""

from __future__ import annotations

import ast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rules import RuleError, compile_rule

# Short labels of the fields, as a sentence names them.
LABELS = {
    "desil": gettext_lazy("desil"),
    "predicted_consumption": gettext_lazy("predicted consumption per capita"),
    "dtsen_desil": gettext_lazy("DTSEN desil (city)"),
    "dtsen_desil_national": gettext_lazy("DTSEN desil (national)"),
    "size": gettext_lazy("family size"),
    "floor_area": gettext_lazy("floor area"),
    "floor_area_per_person": gettext_lazy("floor area per person"),
    "kelurahan": gettext_lazy("kelurahan"),
    "kecamatan": gettext_lazy("kecamatan"),
    "status": gettext_lazy("verification status"),
    "has_car": gettext_lazy("owns a car"),
    "has_motorcycle": gettext_lazy("owns a motorcycle"),
    "has_fridge": gettext_lazy("owns a refrigerator"),
    "has_ac": gettext_lazy("owns an air conditioner"),
    "has_computer": gettext_lazy("owns a computer"),
    "has_gold": gettext_lazy("owns gold"),
    "owns_land": gettext_lazy("owns land elsewhere"),
    "bank_account": gettext_lazy("has a bank account"),
    "receives_pkh": gettext_lazy("receives PKH"),
    "receives_bpnt": gettext_lazy("receives BPNT"),
    "age": gettext_lazy("age"),
    "female": gettext_lazy("female"),
    "head": gettext_lazy("head of the family"),
    "in_school": gettext_lazy("in school"),
    "working": gettext_lazy("working"),
    "disabled": gettext_lazy("with a disability"),
    "pregnant": gettext_lazy("pregnant"),
    "chronic_illness": gettext_lazy("chronically ill"),
    "pbi": gettext_lazy("PBI health insurance"),
}
SYMBOLS = {ast.Lt: "<", ast.LtE: "≤", ast.Gt: ">", ast.GtE: "≥", ast.Eq: "=", ast.NotEq: "≠"}
ARITHMETIC = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷"}


def describe(source: str) -> str:
    """``source`` in words in the active language, or ``source`` itself if it does not compile."""
    try:
        compile_rule(source)
    except RuleError:
        return source.strip()
    line = source.strip().replace("\r", " ").replace("\n", " ")
    return _words(ast.parse(line, mode="eval").body)


def _number(value: float | int) -> str:
    from django.utils.formats import number_format

    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(number_format(value, use_l10n=True, force_grouping=abs(value) >= 10_000))


def _words(node: ast.AST, parent: type[ast.AST] | None = None) -> str:
    if isinstance(node, ast.BoolOp):
        word = _("AND") if isinstance(node.op, ast.And) else _("OR")
        text = f" {word} ".join(_words(v, type(node.op)) for v in node.values)
        # A list of the other kind inside: parentheses keep the reading unambiguous.
        return f"({text})" if parent is not None and parent is not type(node.op) else text
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        word = _("NOT")
        return f"{word} {_words(node.operand, ast.Not)}"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"−{_words(node.operand, ast.USub)}"
    if isinstance(node, ast.BinOp):
        text = f"{_words(node.left, ast.BinOp)} {ARITHMETIC[type(node.op)]} {_words(node.right, ast.BinOp)}"
        return f"({text})" if parent is ast.BinOp else text
    if isinstance(node, ast.Compare):
        parts = [_words(node.left, ast.Compare)]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                items = ", ".join(_words(e, ast.Compare) for e in right.elts)  # type: ignore[attr-defined]
                word = _("is one of") if isinstance(op, ast.In) else _("is none of")
                parts.append(f"{word} {items}")
            else:
                parts.append(f"{SYMBOLS[type(op)]} {_words(right, ast.Compare)}")
        text = " ".join(parts)
        return f"({text})" if parent is ast.Not else text
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        inner = _words(node.args[1], ast.Call)
        phrases = {
            "count": _("number of members: %(what)s"),
            "any": _("at least one member: %(what)s"),
            "all": _("every member: %(what)s"),
            "sum": _("total over the members of %(what)s"),
            "min": _("lowest among the members of %(what)s"),
            "max": _("highest among the members of %(what)s"),
        }
        text = phrases[name] % {"what": inner}
        return f"({text})" if parent is ast.Compare and name in {"any", "all"} else text
    if isinstance(node, ast.Name):
        if node.id in {"true", "false"}:
            return _("yes") if node.id == "true" else _("no")
        return str(LABELS.get(node.id, node.id))
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return _("yes") if node.value else _("no")
        if isinstance(node.value, int | float):
            return _number(node.value)
        return f"“{node.value!s}”"
    if isinstance(node, ast.List | ast.Tuple):
        return ", ".join(_words(e) for e in node.elts)
    return ast.unparse(node)  # pragma: no cover - compile_rule admits nothing else
