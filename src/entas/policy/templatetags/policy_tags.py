"""Template filters of the policy register's pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from entas.programs.models import Programme

from ..choices import FundingKind, NationalStrategy, ProgrammeStatus
from ..forms import FIELD_LABELS

register = template.Library()


@register.filter
def funding_rows(funding: dict[str, int]) -> list[tuple[str, int]]:
    """``{"apbd": 5, "csr": 2}`` → ``[("City budget (APBD)", 5), ("CSR partner", 2)]``, in the sources' order."""
    return [(str(label), funding[value]) for value, label in FundingKind.choices if funding.get(value)]


@register.filter
def field_label(name: str) -> str:
    if name.startswith("pagu."):
        return gettext("Pagu %(year)s") % {"year": name[5:]}
    return str(FIELD_LABELS.get(name, name))


@register.filter
def kind_label(kind: str) -> str:
    return str(dict(Programme.Kind.choices).get(kind, kind))


@register.filter
def status_label(status: str) -> str:
    return str(dict(ProgrammeStatus.choices).get(status, status))


@register.filter
def strategy_label(value: str) -> str:
    return str(dict(NationalStrategy.choices).get(value, value))


@register.filter
def adjusted_value(value: Any, name: str) -> str:
    """A recorded value of a field, for people: money as rupiah, lists as text, statuses by their label."""
    from entas.core.money import format_rupiah

    if value is None:
        return "–"
    if name.startswith(("funding.", "pagu.")) or name == "base_amount":
        return format_rupiah(int(value))
    if name == "status":
        return status_label(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key, ())


@register.filter
def iso_date(value: Any) -> Any:
    """An ISO date as kept in a register's fields (``"2027-12-31"``) as a date, for the ``date`` filter."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return value
