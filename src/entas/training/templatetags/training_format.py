from __future__ import annotations

from django import template

from entas.core.ids import mask_nik

register = template.Library()


@register.filter
def masked_nik(nik: str) -> str:
    """A NIK as lists show it (the registry's mask)."""
    return mask_nik(nik)


@register.filter
def percent(share: float | None) -> str:
    """A share (0–1) as a whole percentage, or a dash."""
    return "–" if share is None else f"{100 * share:.0f}%"
