"""The banks a payee's account may be held at, read from ``data/banks.toml`` (pure: no Django)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

BANKS_FILE = Path(__file__).resolve().parent / "data" / "banks.toml"


@dataclass(frozen=True)
class Bank:
    """A bank: its code (sandi bank), name and the lengths its account numbers have. ``strict``: another
    length is refused (else only a warning); ``confirmed``: the lengths were confirmed by the bank."""

    code: str
    name: str
    lengths: tuple[int, ...]
    confirmed: bool = False
    strict: bool = False

    @property
    def label(self) -> str:
        return f"{self.code} · {self.name}"


@functools.cache
def banks() -> dict[str, Bank]:
    """Every bank of the shipped table, by code, in the table's order."""
    with BANKS_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return {
        str(b["code"]): Bank(
            code=str(b["code"]),
            name=str(b["name"]),
            lengths=tuple(int(n) for n in b["lengths"]),
            confirmed=bool(b.get("confirmed", False)),
            strict=bool(b.get("strict", False)),
        )
        for b in data["bank"]
    }


def bank(code: str) -> Bank | None:
    return banks().get(code.strip())


def choices() -> list[tuple[str, str]]:
    return [(b.code, b.label) for b in banks().values()]
