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


# -- the results framework and the indicator engine (issue #23; docs/monitoring.md) -------------------


class Indicator(models.Model):
    """An indicator: a definition, not a number typed in. Its values are computed into :class:`Fact`
    by the refresh job from one of four sources:

    * ``registry``: numerator and denominator are conditions in the targeting rule language over
      households or members (one language, one evaluator: entas.targeting.rules);
    * ``survey``: a poverty or inequality measure of the survey rounds with its standard error
      (entas.measures.survey);
    * ``official``: a published series (BPS) entered as :class:`OfficialValue` with source and
      confirmation;
    * ``source``: a named numerator/denominator registered by a module (entas.monitoring.sources).

    Versioned: changing the definition raises ``version`` and records an :class:`IndicatorVersion`;
    facts keep the version they were computed with, so the old series stays and the break shows.
    """

    class Kind(models.TextChoices):
        REGISTRY = "registry", _("Registry (rule language)")
        SURVEY = "survey", _("Survey estimate")
        OFFICIAL = "official", _("Official series")
        SOURCE = "source", _("Module source")

    class Unit(models.TextChoices):
        HOUSEHOLDS = "households", _("households")
        MEMBERS = "members", _("people")

    class Direction(models.TextChoices):
        UP = "up", _("higher is better")
        DOWN = "down", _("lower is better")

    class PeriodType(models.TextChoices):
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(_("definition"), blank=True)
    sdg = models.CharField(_("SDG indicator"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.CharField(_("counts"), max_length=10, choices=Unit.choices, default=Unit.HOUSEHOLDS)
    numerator = models.CharField(_("numerator"), max_length=1000, blank=True)
    denominator = models.CharField(_("denominator"), max_length=1000, blank=True)
    measure = models.CharField(_("survey measure"), max_length=10, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    factor = models.PositiveIntegerField(_("factor"), default=100, help_text=_("100: percent; 1000: per 1,000"))
    disaggregations = models.JSONField(_("disaggregations"), default=list, blank=True)
    period_type = models.CharField(_("period"), max_length=6, choices=PeriodType.choices, default=PeriodType.MONTH)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.UP)
    version = models.PositiveIntegerField(_("version"), default=1)
    changed_at = models.DateTimeField(_("definition changed"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    DEFINITION_FIELDS = ("kind", "unit", "numerator", "denominator", "measure", "source", "factor", "disaggregations")

    def definition_dict(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in self.DEFINITION_FIELDS}


class IndicatorVersion(models.Model):
    """One version of an indicator's definition, kept when the definition changes (a series break)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    valid_from = models.DateTimeField(_("valid from"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["indicator", "version"]
        constraints = [models.UniqueConstraint(fields=["indicator", "version"], name="one_row_per_indicator_version")]

    def __str__(self) -> str:
        return f"{self.indicator_id} v{self.version}"


class OfficialValue(models.Model):
    """A published value of an official series (BPS), entered with its source; ``confirmed = False``
    flags a value without a reliable source wherever it is shown (as the poverty lines)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="official_values")
    area = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT)
    period = models.CharField(_("period"), max_length=7)
    value = models.FloatField(_("value"))
    se = models.FloatField(_("standard error"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    confirmed = models.BooleanField(_("confirmed"), default=True)
    entered_at = models.DateTimeField(_("entered"), auto_now=True)

    class Meta:
        ordering = ["indicator", "period"]
        constraints = [models.UniqueConstraint(fields=["indicator", "area", "period"], name="one_official_value")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period}: {self.value}"


class Fact(models.Model):
    """A pre-aggregated value: indicator × area × period × disaggregation, with numerator,
    denominator, value, standard error (survey indicators) and when it was computed. Dashboards read
    only these rows; the refresh job (entas.monitoring.engine) writes them."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="facts")
    version = models.PositiveIntegerField(_("version"))
    area = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField(_("level"))
    period = models.CharField(_("period"), max_length=7)
    dimension = models.CharField(_("disaggregation"), max_length=12, blank=True)
    category = models.CharField(_("category"), max_length=20, blank=True)
    numerator = models.FloatField(_("numerator"), null=True)
    denominator = models.FloatField(_("denominator"), null=True)
    value = models.FloatField(_("value"), null=True)
    se = models.FloatField(_("standard error"), null=True)
    confirmed = models.BooleanField(_("confirmed"), default=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "area", "period", "dimension", "category"], name="one_fact")
        ]
        indexes = [models.Index(fields=["indicator", "level", "period"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.area_id} {self.period} {self.dimension}={self.category}: {self.value}"


class RefreshRun(models.Model):
    """One run of the refresh: what it recomputed and when (its start is the next run's watermark)."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True)
    full = models.BooleanField(_("full"), default=False)
    facts_written = models.PositiveIntegerField(_("facts written"), default=0)
    facts_deleted = models.PositiveIntegerField(_("facts deleted"), default=0)
    kelurahan_recomputed = models.PositiveIntegerField(_("kelurahan recomputed"), default=0)
    alerts_raised = models.PositiveIntegerField(_("alerts raised"), default=0)
    fingerprint = models.JSONField(_("registry fingerprint"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"refresh {self.started_at:%Y-%m-%d %H:%M}"


class Result(models.Model):
    """One statement of a logframe (impact → outcome → output) of a plan or a programme of the policy
    register, with its assumptions; its indicators carry baselines and yearly targets."""

    class Level(models.TextChoices):
        IMPACT = "impact", _("Impact")
        OUTCOME = "outcome", _("Outcome")
        OUTPUT = "output", _("Output")

    plan = models.ForeignKey("policy.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="results")
    programme = models.ForeignKey(
        "policy.ProgrammeRecord", on_delete=models.CASCADE, null=True, blank=True, related_name="results"
    )
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    code = models.CharField(_("code"), max_length=20)
    statement = models.CharField(_("statement"), max_length=400)
    assumptions = models.TextField(_("assumptions"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.code} {self.statement}"


class ResultIndicator(models.Model):
    """An indicator measuring a result, with its baseline."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="results")
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["result", "indicator"], name="one_indicator_per_result")]

    def __str__(self) -> str:
        return f"{self.result_id}/{self.indicator_id}"


class Target(models.Model):
    """A yearly target of an indicator of a result (a dated record, as DOMAIN §7.5 asks)."""

    result_indicator = models.ForeignKey(ResultIndicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("target"))

    class Meta:
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["result_indicator", "year"], name="one_target_per_year")]

    def __str__(self) -> str:
        return f"{self.result_indicator_id} {self.year}: {self.value}"


class AlertRule(models.Model):
    """A rule on an indicator, evaluated after each refresh: a threshold crossed, a target off track by
    more than some points, or a data gap (no value for the latest period)."""

    class Kind(models.TextChoices):
        ABOVE = "above", _("value above threshold")
        BELOW = "below", _("value below threshold")
        OFF_TRACK = "off_track", _("off target by more than")
        DATA_GAP = "data_gap", _("no value for the period")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="alert_rules")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    threshold = models.FloatField(_("threshold or points"), default=0)
    level = models.PositiveSmallIntegerField(_("area level"), default=2)
    recipients = models.CharField(_("e-mail recipients"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["indicator", "kind"]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.kind} {self.threshold}"


class Alert(models.Model):
    """A breach found by an alert rule for an area and period; shown on the dashboard, e-mailed once."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    area = models.ForeignKey("regions.Region", on_delete=models.PROTECT)
    period = models.CharField(_("period"), max_length=7)
    value = models.FloatField(_("value"), null=True)
    message = models.CharField(_("message"), max_length=400)
    raised_at = models.DateTimeField(_("raised"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    emailed = models.BooleanField(_("e-mailed"), default=False)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["rule", "area", "period"], name="one_alert_per_breach")]

    def __str__(self) -> str:
        return self.message
