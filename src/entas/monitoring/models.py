from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from entas.core.money import format_rupiah


class PovertyLine(models.Model):
    """A poverty line (garis kemiskinan) in Rupiah per capita per month for an area and period.

    Lines are area- and period-specific (BPS sets one per kab/kota each March); the series breaks
    whenever the line changes, so each value carries its name and, for international lines, its
    PPP base. A value without a reliable source is kept with ``confirmed = False`` and flagged
    wherever it is shown.
    """

    class Kind(models.TextChoices):
        NATIONAL = "national", _("National (BPS) poverty line")
        EXTREME = "extreme", _("Extreme poverty line (international)")

    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    period = models.PositiveSmallIntegerField(_("year"))
    rupiah_per_capita_month = models.PositiveIntegerField(_("Rp per capita per month"))
    ppp_base = models.CharField(_("PPP base"), max_length=20, blank=True)
    confirmed = models.BooleanField(_("confirmed"), default=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["region__code", "kind", "-period"]
        verbose_name = _("poverty line")
        verbose_name_plural = _("poverty lines")
        constraints = [models.UniqueConstraint(fields=["region", "kind", "name", "period"], name="one_line_per_period")]

    def __str__(self) -> str:
        return f"{self.name} {self.period}: {format_rupiah(self.rupiah_per_capita_month)}"


class SurveyRound(models.Model):
    """A household survey with observed consumption (Susenas or a Susenas-like sample), used for
    poverty estimates with standard errors and for fitting proxy-means models."""

    name = models.CharField(_("name"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year"))
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    source_file = models.CharField(_("source file"), max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "-imported_at"]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class SurveyHousehold(models.Model):
    """One sampled household of a survey round, with its design (stratum, PSU, weight)."""

    survey = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="households")
    kk_number = models.CharField(_("KK number"), max_length=16, blank=True, db_index=True)
    kelurahan = models.ForeignKey("regions.Region", verbose_name=_("kelurahan"), on_delete=models.PROTECT)
    stratum = models.CharField(_("stratum"), max_length=20)
    psu = models.CharField(_("PSU"), max_length=40)
    weight = models.FloatField(_("design weight"))
    household_size = models.PositiveSmallIntegerField(_("household size"))
    consumption_per_capita = models.PositiveIntegerField(_("consumption per capita per month (Rp)"))

    class Meta:
        verbose_name = _("survey household")
        verbose_name_plural = _("survey households")
        indexes = [models.Index(fields=["survey", "kelurahan"])]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.kk_number}"
