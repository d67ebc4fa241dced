"""Rupiah: always an integer number of rupiah (no sen in social-assistance amounts), written one way
everywhere (pages, messages, job logs, commands, printed lists): :func:`format_rupiah`."""

from __future__ import annotations

from django.utils import translation

# Thousands separator by language: Indonesian writes Rp1.500.000, English Rp1,500,000.
SEPARATORS = {"id": ".", "en": ","}


def rupiah_digits(amount: int, language: str = "id") -> str:
    """The digits of a whole amount grouped by thousands in ``language``'s style: ``1.234.567``.
    Pure (no settings): the printed cash lists, which are Indonesian documents, use it directly."""
    return f"{int(amount):,}".replace(",", SEPARATORS.get(language, "."))


def format_rupiah(amount: int | None, language: str | None = None) -> str:
    """``1234567`` → ``Rp1.234.567`` in Indonesian, ``Rp1,234,567`` in English (the active language
    unless ``language`` is given); ``–`` for no amount."""
    if amount is None:
        return "–"
    if isinstance(amount, float) and not float(amount).is_integer():
        raise ValueError(f"Rupiah amounts are whole numbers, got {amount!r}")
    value = int(amount)
    sign = "-" if value < 0 else ""
    lang = (language or translation.get_language() or "id").split("-")[0]
    return f"{sign}Rp{rupiah_digits(abs(value), lang)}"
