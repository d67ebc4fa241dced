"""The menu: each app adds its own entries (in its ``AppConfig.ready``); the core knows none of them.

    navigation.add("registry:household_list", _("Registry"), "registry.view", order=20)

An entry is shown to a user whose role grants one of its capabilities (given by value, so the core
needs no domain import); ``None`` shows it to every signed-in user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: str | Promise
    capabilities: tuple[str, ...] | None
    order: int


_ENTRIES: dict[str, Entry] = {}


def add(url_name: str, label: str | Promise, capabilities: str | Sequence[str] | None, *, order: int) -> None:
    """Add (or replace) the menu entry for ``url_name``."""
    caps = (capabilities,) if isinstance(capabilities, str) else tuple(capabilities) if capabilities else None
    _ENTRIES[url_name] = Entry(url_name, label, caps, order)


def entries_for(user: Any) -> list[Entry]:
    """The entries a signed-in user sees, in menu order."""
    if user is None or not user.is_authenticated:
        return []
    return [
        e
        for e in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.url_name))
        if e.capabilities is None or any(user.can(c) for c in e.capabilities)
    ]
