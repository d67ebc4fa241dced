"""The policy register (entas.policy): the city's poverty plan (RPKD and its yearly action plans), its
strategies, the programmes of every kind under them (one row of :class:`entas.programs.models.Programme`
each, with its register record here), their activities, monthly budget and realisation, and the
adjustments made to them with maker-checker. See docs/policy-register.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from .choices import (
    ActivityLevel,
    AdjustmentState,
    FundingKind,
    NationalStrategy,
    PlanKind,
    PlanStatus,
    ProgrammeStatus,
)

# The register is the city's, not an area's: who sees it is a matter of role.
POLICY_ACTIONS = {
    "view": (Capability.VIEW_POLICY,),
    "edit": (Capability.EDIT_POLICY,),
    "realise": (Capability.REALISE_POLICY, Capability.EDIT_POLICY),
    # A partner (CSR, NGO) reads the programmes its organisation funds (selectors.funded_records).
    "funded": (Capability.VIEW_FUNDED_POLICY,),
}


class Plan(models.Model):
    """A planning document of the TKPK: the RPKD (Rencana Penanggulangan Kemiskinan Daerah, five years,
    aligned with the RPJMD; Permendagri 53/2020) or one of its yearly action plans (Rencana Aksi
    Tahunan). Versioned: a plan keeps its ``code`` across versions; a new version starts as a draft,
    and adopting it supersedes the version adopted before. Its legal basis is the Perwali or SK that
    adopted it."""

    code = models.CharField(_("code"), max_length=40, help_text=_("e.g. RPKD-2025-2029 or RAT-2026"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=12, choices=PlanKind.choices, default=PlanKind.RPKD)
    title = models.CharField(_("title"), max_length=300)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("RPKD it carries out"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_plans",
    )
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True, help_text=_("Perwali or SK number"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The fingerprint of the plan file last loaded: loading the same file again changes nothing.
    digest = models.CharField(max_length=64, blank=True, editable=False)

    area_scope = AreaScope(paths=(), actions=POLICY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-start_year", "code", "-version"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="one_plan_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Strategy(models.Model):
    """A strategy of a plan: the national strategy it serves (or the city's own), its goals, and the
    "THIS" principles of Permendagri 53/2020: thematic, holistic, integrative and spatial (the kelurahan
    it focuses on)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="strategies")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=300)
    national_strategy = models.CharField(
        _("national strategy served"), max_length=16, choices=NationalStrategy.choices, default=NationalStrategy.CITY
    )
    goals = models.TextField(_("goals"), blank=True)
    thematic = models.TextField(_("thematic"), blank=True, help_text=_("The theme the strategy addresses."))
    holistic = models.TextField(_("holistic"), blank=True, help_text=_("How it addresses the causes as a whole."))
    integrative = models.TextField(_("integrative"), blank=True, help_text=_("Which OPDs and partners work together."))
    focus_kelurahan = models.ManyToManyField(
        "regions.Region", verbose_name=_("spatial: focus kelurahan"), blank=True, related_name="+"
    )

    area_scope = AreaScope(paths=(), actions=POLICY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "code"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="one_strategy_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProgrammeRecord(models.Model):
    """The register's record of one programme (of any kind): the strategy it serves, its lead and
    partner OPDs, its target group and kelurahan, its status and its funding. The programme itself,
    with its name, kind and period, is the one row of :class:`entas.programs.models.Programme`."""

    programme = models.OneToOneField("programs.Programme", on_delete=models.PROTECT, related_name="policy")
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="programmes")
    code = models.CharField(_("code"), max_length=20, help_text=_("Register code, e.g. P1.2"))
    budget_code = models.CharField(_("programme code (nomenklatur)"), max_length=30, blank=True)
    lead_opd = models.ForeignKey(
        "accounts.Opd", verbose_name=_("lead OPD"), on_delete=models.PROTECT, related_name="led_programmes"
    )
    partner_opds = models.ManyToManyField(
        "accounts.Opd", verbose_name=_("partner OPDs"), blank=True, related_name="partnered_programmes"
    )
    target_group = models.CharField(_("target group"), max_length=300, blank=True)
    target_beneficiaries = models.PositiveIntegerField(_("target beneficiaries"), default=0)
    target_kelurahan = models.ManyToManyField(
        "regions.Region", verbose_name=_("target kelurahan"), blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProgrammeStatus.choices, default=ProgrammeStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    area_scope = AreaScope(paths=(), actions=POLICY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["strategy", "code"]
        verbose_name = _("registered programme")
        verbose_name_plural = _("registered programmes")

    def __str__(self) -> str:
        return f"{self.code} {self.programme_id}"


class Funding(models.Model):
    """An amount a funding source (APBD, Dana Kelurahan, APBN, CSR, other) gives a programme over its
    period, in whole rupiah."""

    record = models.ForeignKey(ProgrammeRecord, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(_("source"), max_length=16, choices=FundingKind.choices)
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("e.g. the CSR partner's name"))

    class Meta:
        ordering = ["record", "source"]
        verbose_name = _("funding")
        verbose_name_plural = _("funding")
        constraints = [models.UniqueConstraint(fields=["record", "source"], name="one_amount_per_source")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.source} {self.amount}"


class Activity(models.Model):
    """A kegiatan or sub-kegiatan of a programme in the regional budget: its code (kode rekening of the
    Permendagri 90/2019 nomenclature, checked for shape), the output it delivers with its unit and
    volume target, where, and the OPD that carries it out and reports its realisation. An activity
    ``realised_from_payments`` (a cash programme's transfers) takes its realisation from the programme's
    paid payments, not from a file."""

    record = models.ForeignKey(ProgrammeRecord, on_delete=models.CASCADE, related_name="activities")
    code = models.CharField(_("kode rekening"), max_length=30)
    level = models.CharField(
        _("level"), max_length=12, choices=ActivityLevel.choices, default=ActivityLevel.SUB_KEGIATAN
    )
    name = models.CharField(_("name"), max_length=300)
    opd = models.ForeignKey("accounts.Opd", verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="activities")
    output = models.CharField(_("output"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    volume_target = models.PositiveIntegerField(_("volume target"), default=0)
    location = models.CharField(_("location"), max_length=200, blank=True)
    realised_from_payments = models.BooleanField(_("realisation from paid payments"), default=False)

    area_scope = AreaScope(paths=(), actions=POLICY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["record", "code"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [models.UniqueConstraint(fields=["code"], name="one_activity_per_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BudgetMonth(models.Model):
    """One activity's money in one month, in whole rupiah: the pagu (the ceiling allotted to the month),
    its revision (empty until revised; the revised pagu then applies), the realisation (spent) and the
    physical progress in percent."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(_("month"), help_text=_("The first day of the month"))
    pagu = models.PositiveBigIntegerField(_("pagu (Rp)"), default=0)
    revised = models.PositiveBigIntegerField(_("revised pagu (Rp)"), null=True, blank=True)
    realised = models.PositiveBigIntegerField(_("realisation (Rp)"), default=0)
    physical = models.PositiveSmallIntegerField(_("physical progress (%)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["activity", "month"]
        verbose_name = _("budget month")
        verbose_name_plural = _("budget months")
        constraints = [models.UniqueConstraint(fields=["activity", "month"], name="one_row_per_activity_month")]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.month:%Y-%m}"


class Adjustment(models.Model):
    """A change to a programme that matters for policy (its status, target group, kelurahan, funding,
    amount, period or lead OPD), recorded with its rationale and evidence (an evaluation, an indicator,
    a forum decision, a grievance trend), the value before and after, and the date it takes effect.
    Proposed by one person and approved by another (maker-checker); only an approved adjustment
    changes the register."""

    record = models.ForeignKey(ProgrammeRecord, on_delete=models.PROTECT, related_name="adjustments")
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
        help_text=_("For a revision of an activity's pagu for a year (field pagu.YYYY)."),
    )
    field = models.CharField(_("field"), max_length=40)
    before = models.JSONField(_("before"), null=True)
    after = models.JSONField(_("after"), null=True)
    reason = models.TextField(_("rationale"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    effective_on = models.DateField(_("effective on"))
    state = models.CharField(
        _("state"), max_length=10, choices=AdjustmentState.choices, default=AdjustmentState.PROPOSED, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    # A pagu revision, once applied: each month's pagu in force before and after ({"2026-01": [b, a]}),
    # so the register as of an earlier date undoes it exactly.
    months = models.JSONField(null=True, blank=True, editable=False)

    area_scope = AreaScope(paths=(), actions=POLICY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")

    def __str__(self) -> str:
        return f"#{self.pk} {self.field}"


# Who sees what a household received: whoever may open the household (its area), as on its page.
BENEFIT_ACTIONS = {
    "view": (Capability.VIEW_REGISTRY,),
    "record": (Capability.REALISE_POLICY, Capability.EDIT_POLICY),
}


class Benefit(models.Model):
    """Something a household, or one of its members, received from a programme other than a cash
    payment: a training place, assistance to its business group, attendance at a campaign session,
    in-kind aid, a service (a repaired house, a health-insurance contribution). The app that delivers
    a kind records it here as it delivers (or an OPD's list is imported); a cash transfer's paid
    payments are read from entas.programs as they are. Together they make one benefit timeline per
    household and per person, across every kind."""

    programme = models.ForeignKey("programs.Programme", on_delete=models.PROTECT, related_name="benefits")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="benefits")
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField(_("received on"))
    description = models.CharField(_("what"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    value = models.PositiveBigIntegerField(_("value (Rp)"), default=0, help_text=_("Estimated, in whole rupiah"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    area_scope = AreaScope(paths=("household__kelurahan",), actions=BENEFIT_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household", "member", "received_on", "description"], name="one_benefit_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}:{self.household_id} {self.received_on}"
