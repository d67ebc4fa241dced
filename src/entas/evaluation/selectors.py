"""Reads of evaluation: saved evaluations and scenarios, scoped by role (city-wide aggregates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from entas.accounts.roles import Capability

from .models import Evaluation, Scenario

if TYPE_CHECKING:
    from entas.accounts.models import User

VIEW = (Capability.VIEW_ANALYTICS, Capability.EDIT_POLICY)
RUN = Capability.EDIT_POLICY
PROMOTE = Capability.EDIT_POLICY


def evaluations_for(user: User) -> QuerySet[Evaluation]:
    """Saved evaluations, newest first."""
    return Evaluation.objects.restrict(user, "view").select_related("created_by").order_by("-created_at", "-pk")


def scenarios_for(user: User) -> QuerySet[Scenario]:
    """Saved scenarios, newest first, with their programme and the adjustment they became."""
    return (
        Scenario.objects.restrict(user, "view")
        .select_related("created_by", "programme", "adjustment")
        .order_by("-created_at", "-pk")
    )
