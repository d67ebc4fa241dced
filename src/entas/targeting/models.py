from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PmtModel(models.Model):
    """A fitted proxy-means model, versioned: what it uses, its coefficients (or the serialised
    gradient-boosting model), the survey it was fitted on, its cross-validated quality, who fitted it
    and when. Scores always name the model version that produced them. A local, non-official index:
    the national DTSEN desil is kept apart (DOMAIN §8)."""

    class Kind(models.TextChoices):
        WLS = "wls", _("Weighted least squares")
        GBM = "gbm", _("Gradient boosting")

    version = models.PositiveIntegerField(_("version"), unique=True)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    survey = models.ForeignKey("monitoring.SurveyRound", verbose_name=_("survey"), on_delete=models.PROTECT)
    poverty_line = models.PositiveIntegerField(_("poverty line used for the error figures"))
    design = models.JSONField(_("variables"))
    coefficients = models.JSONField(_("coefficients"), null=True, blank=True)
    serialized = models.BinaryField(_("serialised model"), null=True, blank=True)
    training = models.JSONField(_("training data summary"), default=dict)
    metrics = models.JSONField(_("cross-validated metrics"), default=dict)
    fitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fitted_at = models.DateTimeField(_("fitted at"), default=timezone.now)
    # The model the city uses (one at a time): its scores give the desil of every page. Chosen by the
    # TKPK analyst after comparing models (audited); until one is chosen, the newest scored model is used.
    chosen_at = models.DateTimeField(_("chosen at"), null=True, blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chosen by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("proxy-means model")
        verbose_name_plural = _("proxy-means models")

    def __str__(self) -> str:
        return f"PMT v{self.version} ({self.kind})"


class HouseholdScore(models.Model):
    """A household's predicted consumption, score and desil under one model version."""

    # Scores are derived data, written a whole city at a time (a row per household per model version)
    # and replaced by re-scoring. Their two foreign keys carry no database constraint: on PostgreSQL
    # each constrained row costs a deferred trigger at commit that locks the referenced row, 1.8 s of
    # a 5 s scoring run for 330,000 households (docs/targeting.md, Speed). Deleting a household or a
    # model still deletes its scores (Django's CASCADE runs in the ORM, not in the database), and
    # nothing else deletes either (tests/targeting/test_pmt.py).
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    # No index of its own: the unique (model, household) index leads with it. Every index is one more
    # write per row; reads take a model's scores whole (by model), never by desil.
    model = models.ForeignKey(
        PmtModel, on_delete=models.CASCADE, related_name="scores", db_index=False, db_constraint=False
    )
    predicted_consumption = models.PositiveIntegerField(_("predicted consumption per capita (Rp)"))
    score = models.FloatField(_("score (predicted log consumption)"))
    desil = models.PositiveSmallIntegerField(_("desil (city, people-weighted)"))
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)

    class Meta:
        verbose_name = _("household score")
        verbose_name_plural = _("household scores")
        constraints = [models.UniqueConstraint(fields=["model", "household"], name="one_score_per_model")]

    def __str__(self) -> str:
        return f"{self.household_id} v{self.model_id}: desil {self.desil}"


class EligibilityRule(models.Model):
    """A named eligibility rule in the rule language (docs/targeting.md), with the benefit per household
    and an optional budget cap or quota; validated when saved. Programmes use rules by name."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    expression = models.TextField(_("rule"))
    benefit = models.PositiveIntegerField(_("benefit per household per month (Rp)"), default=0)
    budget = models.PositiveBigIntegerField(_("budget cap per month (Rp)"), null=True, blank=True)
    quota = models.PositiveIntegerField(_("quota (households)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """One saved version of an eligibility rule: what it said, its benefit, budget and quota, who saved
    it and when. Saving a rule adds a version; the rule itself holds the newest."""

    rule = models.ForeignKey(EligibilityRule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    expression = models.TextField(_("rule"))
    benefit = models.PositiveIntegerField(_("benefit per household per month (Rp)"), default=0)
    budget = models.PositiveBigIntegerField(_("budget cap per month (Rp)"), null=True, blank=True)
    quota = models.PositiveIntegerField(_("quota (households)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    saved_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        ordering = ["rule", "-number"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="one_rule_version_number")]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.number}"


# A musyawarah's decisions on a rule's list (once the "community overrides" of this module) are
# recorded by the forum that took them: entas.participation.models.ForumDecision, read through
# entas.targeting.overrides.
OVERRIDE_ACTIONS = [("add", _("Add")), ("remove", _("Remove"))]
