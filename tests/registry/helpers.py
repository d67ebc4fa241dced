"""Building synthetic registry files for tests (obviously fake names, valid-looking NIKs)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any


def make_nik(kecamatan: str, birth: dt.date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "2" else 0)
    return f"{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def family(
    kelurahan: str, kk: str, people: list[tuple[str, str, dt.date, str]], serial: int = 1000, **household: Any
) -> list[dict[str, str]]:
    """Rows of one family; ``people`` = (name, sex, birth date, relationship)."""
    kecamatan = kelurahan.replace(".", "")[:6]
    rows = []
    for i, (name, sex, birth, relationship) in enumerate(people):
        rows.append(
            {
                "kelurahan_code": kelurahan,
                "kk_number": kk,
                "address": "Jl. Uji Coba",
                "rt": "001",
                "rw": "002",
                **{k: str(v) for k, v in household.items()},
                "nik": make_nik(kecamatan, birth, sex, serial + i),
                "name": name,
                "sex": sex,
                "birth_date": birth.isoformat(),
                "relationship": relationship,
            }
        )
    return rows


def standard_family(kelurahan: str, kk: str, serial: int = 1000, **household: Any) -> list[dict[str, str]]:
    return family(
        kelurahan,
        kk,
        [
            ("Budi Sintetis", "1", dt.date(1980, 1, 1), "1"),
            ("Siti Sintetis", "2", dt.date(1985, 5, 2), "2"),
            ("Andi Sintetis", "1", dt.date(2010, 3, 10), "3"),
        ],
        serial=serial,
        **household,
    )


def write_csv(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, columns, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path
