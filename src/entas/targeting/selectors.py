"""Every read of the targeting pages. Rules and PMT models belong to the city, not to an area: they
are scoped by role alone (who may see them), and their figures are aggregates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, QuerySet

from entas.accounts.roles import Capability

from .models import EligibilityRule, HouseholdScore, PmtModel, RuleVersion

if TYPE_CHECKING:
    from entas.accounts.models import User

# Who may read rules (and preview them: aggregates by kelurahan) and who may save them.
RULE_VIEW = (Capability.VIEW_ANALYTICS, Capability.MANAGE_PROGRAMMES)
RULE_WRITE = Capability.MANAGE_PROGRAMMES
# PMT work is the TKPK analyst's: figures (analytics) and background jobs.
PMT_VIEW = (Capability.VIEW_ANALYTICS,)


def can_view_rules(user: User) -> bool:
    return any(user.can(c) for c in RULE_VIEW)


def can_write_rules(user: User) -> bool:
    return user.can(RULE_WRITE)


def can_run_pmt(user: User) -> bool:
    """Fit, choose and score PMT models: analytics and background jobs."""
    return user.can(Capability.VIEW_ANALYTICS) and user.can(Capability.RUN_JOBS)


def rules_for(user: User) -> QuerySet[EligibilityRule]:
    """The saved rules, by name, with their number of versions (none for a role that may not see them)."""
    if not can_view_rules(user):
        return EligibilityRule.objects.none()
    return (
        EligibilityRule.objects.annotate(version_count=Count("versions")).select_related("created_by").order_by("name")
    )


def versions_of(user: User, rule: EligibilityRule) -> QuerySet[RuleVersion]:
    """A rule's versions, newest first, with who saved them."""
    if not can_view_rules(user):
        return RuleVersion.objects.none()
    return RuleVersion.objects.filter(rule=rule).select_related("saved_by").order_by("-number")


def models_for(user: User) -> QuerySet[PmtModel]:
    """The fitted PMT models, newest first, each marked whether it has scored the registry."""
    if not user.can(Capability.VIEW_ANALYTICS):
        return PmtModel.objects.none()
    return (
        PmtModel.objects.defer("serialized")
        .annotate(scored=Exists(HouseholdScore.objects.filter(model=OuterRef("pk"))))
        .select_related("survey", "fitted_by", "chosen_by")
        .order_by("-version")
    )


def model_in_use() -> PmtModel | None:
    """The model whose scores give the desil of every page (see services.latest_scored_model)."""
    from .services import latest_scored_model

    return latest_scored_model()


def chosen_model() -> PmtModel | None:
    return PmtModel.objects.defer("serialized").filter(chosen_at__isnull=False).order_by("-chosen_at").first()
