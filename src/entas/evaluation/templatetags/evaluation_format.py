from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

from entas.core.money import format_rupiah

register = template.Library()


@register.filter
def figure(value: Any, kind: str) -> str:
    """A simulation figure as its kind reads: whole numbers, rupiah, percentages, ratios."""
    if value is None:
        return "–"
    if kind == "rupiah":
        return format_rupiah(int(value))
    if kind == "percent":
        return number_format(100 * float(value), 2) + " %"
    if kind == "ratio":
        return number_format(float(value), 3)
    return number_format(int(value), 0, force_grouping=True)


@register.filter
def sig(value: Any) -> str:
    """An estimate to four significant digits (– when missing)."""
    if value is None:
        return "–"
    return f"{float(value):.4g}"
