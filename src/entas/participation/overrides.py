"""The musyawarah decisions as targeting reads them (registered with :mod:`entas.targeting.overrides`
when the app starts): the decisions recorded here are the targeting overrides, not a copy of them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from entas.registry.selectors import households_for

from . import rules
from .models import ForumDecision

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household
    from entas.targeting.models import EligibilityRule


class ForumDecisions:
    """The source targeting asks: :class:`entas.targeting.overrides.Source`."""

    def overrides(self, rule: EligibilityRule) -> tuple[set[int], set[int]]:
        rows = (
            ForumDecision.objects.filter(Q(rule=rule) | Q(rule__isnull=True))
            .order_by("forum__held_on", "forum_id", "pk")
            .values_list("household_id", "rule_id", "action")
        )
        return rules.overrides(rules.DecisionFacts(h, r is not None, a) for h, r, a in rows)

    def count(self, rule: EligibilityRule) -> int:
        return rule.decisions.count()

    def recorded(self, berita_acara: str) -> bool:
        return ForumDecision.objects.filter(forum__berita_acara=berita_acara).exists()

    def listing(self, user: User) -> QuerySet[ForumDecision]:
        return (
            ForumDecision.objects.filter(rule__isnull=False, household__in=households_for(user))
            .select_related("rule", "household__kelurahan", "recorded_by", "forum")
            .order_by("-recorded_at", "-pk")
        )

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
    ) -> ForumDecision:
        from .services import record_rule_decision

        return record_rule_decision(
            actor=actor,
            rule=rule,
            household=household,
            action=action,
            reason=reason,
            berita_acara=berita_acara,
            decided_on=decided_on,
        )
