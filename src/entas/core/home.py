"""The home page's work items: each app says what waits for a user (in its ``AppConfig.ready``).

The home page (:func:`entas.monitoring.views.home`) is drawn by the top app, yet what waits for a user
belongs to every app: change requests to approve (registry), pairs to review (dedup), cycles to
approve (programmes), jobs running (core). So an app *contributes* a function that, given the user,
returns its items; the core knows none of them, and dependencies point upwards only.

    @home.contribute("dedup.pairs", order=30)
    def pairs(user):
        if not user.can("registry.change"):
            return []
        return [home.Item(_("Pairs to review"), selectors.queue_for(user).count(), reverse("dedup:queue"))]

A contribution reads through its app's selectors (so every count is scoped to the user's areas with
``Model.objects.restrict``) and runs a fixed number of queries, whatever the size of the data: the
home page is in ``tests/core/test_query_counts.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.functional import Promise


@dataclass(frozen=True)
class Item:
    """One line of the home page: a count of things waiting (``kind="work"``) or one of the city's key
    figures (``kind="figure"``, ``value`` already formatted, e.g. with entas.core.money)."""

    label: str | Promise
    count: int | None
    url: str
    kind: Literal["work", "figure"] = "work"
    value: str = ""
    hint: str | Promise = ""

    @property
    def waiting(self) -> bool:
        return self.kind == "work" and bool(self.count)


Contributor = Callable[[Any], Sequence[Item]]


@dataclass(frozen=True)
class Contribution:
    name: str
    order: int
    function: Contributor


_CONTRIBUTIONS: dict[str, Contribution] = {}


def contribute(name: str, *, order: int) -> Callable[[Contributor], Contributor]:
    """Register ``function(user) -> [Item…]`` as the contribution ``name`` (re-registering replaces it)."""

    def register(function: Contributor) -> Contributor:
        _CONTRIBUTIONS[name] = Contribution(name, order, function)
        return function

    return register


def items_for(user: Any) -> list[Item]:
    """Every contribution's items for a signed-in user, in contribution order."""
    if user is None or not user.is_authenticated:
        return []
    items: list[Item] = []
    for contribution in sorted(_CONTRIBUTIONS.values(), key=lambda c: (c.order, c.name)):
        items.extend(contribution.function(user))
    return items


def jobs_running(user: Any) -> list[Item]:
    """The core's own contribution: the user's jobs queued or running (everyone's for a city-wide user,
    as on the jobs page)."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from .models import Job

    jobs = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).order_by()
    if not user.is_city_wide:
        jobs = jobs.filter(created_by=user)
    return [Item(_("Background jobs queued or running"), jobs.count(), reverse("jobs:list"))]
