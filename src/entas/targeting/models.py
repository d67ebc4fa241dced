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

    class Meta:
        ordering = ["-version"]
        verbose_name = _("proxy-means model")
        verbose_name_plural = _("proxy-means models")

    def __str__(self) -> str:
        return f"PMT v{self.version} ({self.kind})"


class HouseholdScore(models.Model):
    """A household's predicted consumption, score and desil under one model version."""

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="scores")
    model = models.ForeignKey(PmtModel, on_delete=models.CASCADE, related_name="scores")
    predicted_consumption = models.PositiveIntegerField(_("predicted consumption per capita (Rp)"))
    score = models.FloatField(_("score (predicted log consumption)"))
    desil = models.PositiveSmallIntegerField(_("desil (city, people-weighted)"), db_index=True)
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)

    class Meta:
        verbose_name = _("household score")
        verbose_name_plural = _("household scores")
        constraints = [models.UniqueConstraint(fields=["model", "household"], name="one_score_per_model")]
        indexes = [models.Index(fields=["model", "desil"])]

    def __str__(self) -> str:
        return f"{self.household_id} v{self.model_id}: desil {self.desil}"
