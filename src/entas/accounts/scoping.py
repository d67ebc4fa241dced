"""Where a user may act: the one scoping entry point.

An operator of Kelurahan Manggar must not see a household of Kelurahan Damai through any page, form,
export or API call. Every model tied to an area declares how (:class:`AreaScope`: the paths from
its rows to their region, and the capabilities each action needs) and uses
:class:`ScopedQuerySet`, so a read starts from ``Model.objects.restrict(user, action)`` (NetBox's
``RestrictedQuerySet``): a queryset method, not a helper each view remembers to call. A row is
visible when the user's role grants the action and *every* path leads into the user's areas (a
duplicate pair across two kelurahan needs both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from entas.regions.models import Region, RegionQuerySet

from .roles import Capability

if TYPE_CHECKING:
    from entas.accounts.models import User


def area_codes(user: User) -> list[str]:
    """The codes of the user's assigned regions (cached on the user object for the request)."""
    cached: list[str] | None = getattr(user, "_entas_area_codes", None)
    if cached is None:
        cached = sorted(user.areas.values_list("code", flat=True)) if user.is_authenticated else []
        setattr(user, "_entas_area_codes", cached)  # noqa: B010  (a per-request cache on the user object)
    return cached


def region_q(user: User, path: str = "") -> Q:
    """A filter selecting rows whose region (reached by ``path``, e.g. ``"kelurahan"``) lies within
    the user's areas. Administrators get everything; a user without areas gets nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_city_wide:
        return Q()
    codes = area_codes(user)
    if not codes:
        return Q(pk__in=[])
    field = f"{path}__code" if path else "code"
    return reduce(or_, (Q(**{field: c}) | Q(**{f"{field}__startswith": c + "."}) for c in codes))


def visible_regions(user: User) -> RegionQuerySet:
    return Region.objects.filter(region_q(user))


def can_act_in(user: User, region: Region) -> bool:
    """Whether ``region`` lies within the user's areas."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_city_wide:
        return True
    return any(region.code == c or region.code.startswith(c + ".") for c in area_codes(user))


# What an action on an area-tied row needs, unless a model says otherwise.
DEFAULT_ACTIONS: Mapping[str, tuple[Capability, ...]] = {
    "view": (Capability.VIEW_REGISTRY,),
    "change": (Capability.CHANGE_REGISTRY,),
    "approve": (Capability.APPROVE_REGISTRY,),
    "export": (Capability.EXPORT_REGISTRY,),
}


@dataclass(frozen=True)
class AreaScope:
    """How a model's rows are tied to the area tree and who may do what with them.

    ``paths``: lookups from a row to a :class:`Region` (``"kelurahan"``, ``"household__kelurahan"``);
    empty for a model that is not tied to an area (a city programme), which is then scoped by role
    alone. ``actions``: for each action, the capabilities of which the user needs one (an empty tuple:
    any signed-in user); an action not listed is refused.
    """

    paths: tuple[str, ...]
    actions: Mapping[str, tuple[Capability, ...]] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))

    def allows(self, user: User, action: str) -> bool:
        if not user.is_authenticated or not user.is_active or action not in self.actions:
            return False
        needed = self.actions[action]
        return not needed or any(user.can(c) for c in needed)


M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[M]):
    """A queryset of an area-tied model (one with an ``area_scope``): :meth:`restrict` keeps the rows
    a user may see or act on."""

    def restrict(self, user: User | Any, action: str = "view") -> ScopedQuerySet[M]:
        """The rows on which ``user`` may take ``action``: none when the role does not grant it, else
        those whose every area path lies within the user's areas (all of them for a city-wide user)."""
        scope: AreaScope = self.model.area_scope  # type: ignore[attr-defined]
        if not scope.allows(user, action):
            return self.none()
        qs = self
        for path in scope.paths:
            qs = qs.filter(region_q(user, path))
        return qs


def allowed(user: User | Any, model: type[models.Model], action: str = "view") -> bool:
    """Whether the user's role allows ``action`` on ``model`` at all (for showing a button or a link)."""
    scope: AreaScope = model.area_scope  # type: ignore[attr-defined]
    return scope.allows(user, action)
