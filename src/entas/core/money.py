"""Rupiah: always an integer number of rupiah (no sen in social-assistance amounts)."""

from __future__ import annotations

from django.utils.formats import number_format


def format_rupiah(amount: int | None) -> str:
    """``1234567`` → ``Rp1.234.567`` in Indonesian, ``Rp1,234,567`` in English (the active language)."""
    if amount is None:
        return "–"
    if isinstance(amount, float) and not float(amount).is_integer():
        raise ValueError(f"Rupiah amounts are whole numbers, got {amount!r}")
    value = int(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}Rp{number_format(abs(value), decimal_pos=0, force_grouping=True)}"
