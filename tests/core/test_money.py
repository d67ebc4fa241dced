"""Rupiah is written one way everywhere (core.money): pages, messages, job logs, commands, cash lists."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from entas.core.money import format_rupiah, rupiah_digits

SRC = Path(__file__).resolve().parents[2] / "src" / "entas"


def test_rupiah_follows_the_language() -> None:
    with translation.override("id"):
        assert format_rupiah(1_500_000) == "Rp1.500.000"
    with translation.override("en"):
        assert format_rupiah(1_500_000) == "Rp1,500,000"
    assert format_rupiah(-2500, language="id") == "-Rp2.500" and format_rupiah(None) == "–"
    assert rupiah_digits(1234567) == "1.234.567"  # the printed cash list, an Indonesian document


def test_no_code_formats_rupiah_by_hand() -> None:
    """Before, three ways: {:,} with an English comma in Indonesian messages, a local helper, the filter."""
    by_hand = re.compile(r"Rp\s?\{[^}]*:,")
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert not offenders, f"format rupiah with entas.core.money.format_rupiah: {offenders}"
