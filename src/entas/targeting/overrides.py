"""Where targeting reads the musyawarah kelurahan's decisions (its "community overrides").

The decisions are recorded once, by the forum that took them, in the participation module (a higher
layer: :mod:`entas.participation.overrides`), which registers itself here when it starts. Targeting
asks through this registration and imports nothing of it: the rule's selection, the overrides page
and ``entas rule decide`` all read and write the one record."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from entas.accounts.models import User
    from entas.registry.models import Household

    from .models import EligibilityRule


class Source(Protocol):
    def overrides(self, rule: EligibilityRule) -> tuple[set[int], set[int]]:
        """The households added to and removed from the rule's selection."""

    def count(self, rule: EligibilityRule) -> int:
        """How many decisions name the rule."""

    def recorded(self, berita_acara: str) -> bool:
        """Whether the forum of this berita acara has recorded decisions."""

    def listing(self, user: User) -> QuerySet[Any]:
        """The decisions on rules' lists for the households the user may see, newest first; each row
        has household, rule, action (get_action_display), reason, berita_acara, decided_on, recorded_by."""

    def record(
        self,
        *,
        actor: User,
        rule: EligibilityRule,
        household: Household,
        action: str,
        reason: str,
        berita_acara: str,
        decided_on: dt.date,
    ) -> Any:
        """Record a forum's decision on a household of the rule's list."""


_source: Source | None = None


def register(source: Source) -> None:
    global _source
    _source = source


def source() -> Source:
    if _source is None:
        raise ImproperlyConfigured("No source of musyawarah decisions is registered (entas.participation).")
    return _source
