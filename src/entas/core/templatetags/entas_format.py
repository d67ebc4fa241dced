"""Template filters for Indonesian presentation of money, counts and personal numbers, and the query
string of a page link."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.formats import number_format

from entas.core.money import format_rupiah

register = template.Library()


@register.filter
def rupiah(value: Any) -> str:
    """``{{ 1500000|rupiah }}`` → ``Rp1.500.000`` (``Rp1,500,000`` in English)."""
    if value in (None, ""):
        return "–"
    return format_rupiah(int(value))


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, number: int) -> str:
    """``?…&page=N``: the current query with ``page`` set to ``number``, every other parameter (names
    too, and each of a repeated one's values) URL-encoded as it came. The tag's output is then
    HTML-escaped like any value (``&`` → ``&amp;`` in the attribute)."""
    query = context["request"].GET.copy()
    query["page"] = str(number)
    return "?" + query.urlencode()


@register.filter
def count(value: Any) -> str:
    """A whole number with the language's thousands separator: 12.345 / 12,345 ("–" when there is none)."""
    if value in (None, "") or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return number_format(int(value), decimal_pos=0, force_grouping=True)


@register.filter
def plain(value: Any) -> str:
    """A recorded value (of an audit event, a change) as a person reads it, never as Python: "–" for
    nothing, yes/no, lists joined by commas, mappings as "key: value; …"."""
    from django.utils.translation import gettext as _

    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items()) or "–"
    if isinstance(value, list | tuple | set):
        return ", ".join(plain(v) for v in value) or "–"
    return str(value)
