"""Kemendagri region codes: pure functions, no database.

A code is dotted segments: ``64`` (province), ``64.71`` (kabupaten/kota), ``64.71.01`` (kecamatan),
``64.71.01.1001`` (kelurahan/desa; a 4th segment starting with 1 is a kelurahan, with 2 a desa).
NIK and KK numbers carry the first three segments without dots (``647101``).
"""

from __future__ import annotations

import re
import unicodedata

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.[12]\d{3})?)?)?$")


def is_valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code))


def level_of(code: str) -> int:
    """1 province, 2 kabupaten/kota, 3 kecamatan, 4 kelurahan/desa."""
    return code.count(".") + 1


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def kecamatan_code_from_digits(digits: str) -> str:
    """``647101`` (as in a NIK) → ``64.71.01``."""
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}"


def normalise_name(name: str) -> str:
    """Fold a place name for matching: case, accents, spaces and punctuation do not count
    ("Sungai Nangka" == "Sungainangka", "Gunung-Samarinda" == "gunungsamarinda").
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", folded)
