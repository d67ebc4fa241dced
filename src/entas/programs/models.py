from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from .rules import CycleState

# Programmes and cycles are the city's, not an area's: who sees them is a matter of role.
PROGRAMME_ACTIONS = {
    "view": (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_AUDIT),
    "manage": (Capability.MANAGE_PROGRAMMES,),
    "approve": (Capability.APPROVE_PROGRAMMES,),
}


class Programme(models.Model):
    """A poverty programme run by the city, of any kind: one table for every kind (its place in the
    city's plan, its OPDs and money are kept by entas.policy). A cash transfer (BLT) is delivered here:
    its eligibility is a targeting rule; its entitlement is a base amount per household plus amounts per
    qualifying member, capped, in whole rupiah per month. Those cash fields stay empty (or zero) for
    the other kinds, whose delivery details live in their own apps."""

    class Kind(models.TextChoices):
        CASH = "cash", _("Cash transfer (BLT)")
        TRAINING = "training", _("Skills training")
        EMPOWERMENT = "empowerment", _("Economic empowerment")
        CAMPAIGN = "campaign", _("Awareness campaign")
        IN_KIND = "in_kind", _("In-kind aid")
        SERVICE = "service", _("Service")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")

    class Funding(models.TextChoices):
        APBD = "apbd", _("City budget (APBD)")
        DANA_KELURAHAN = "dana_kelurahan", _("Dana Kelurahan")
        CSR = "csr", _("CSR partner")
        CENTRAL = "central", _("Central government")

    class Channel(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        POS = "pos", _("PT Pos")
        KELURAHAN = "kelurahan", _("Cash through the kelurahan")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CASH)
    agency = models.CharField(_("implementing agency (OPD)"), max_length=120)
    funding = models.CharField(_("funding source"), max_length=16, choices=Funding.choices, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    rule = models.ForeignKey(
        "targeting.EligibilityRule",
        verbose_name=_("eligibility rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Required for a cash transfer; empty for the other kinds."),
    )
    base_amount = models.PositiveIntegerField(_("base amount per household per month (Rp)"), default=0)
    per_child_in_school = models.PositiveIntegerField(_("per child in school (Rp)"), default=0)
    per_elderly = models.PositiveIntegerField(_("per member aged 60+ (Rp)"), default=0)
    per_disabled = models.PositiveIntegerField(_("per member with a disability (Rp)"), default=0)
    cap = models.PositiveIntegerField(_("cap per household per month (Rp)"), null=True, blank=True)
    months_per_cycle = models.PositiveSmallIntegerField(_("months paid per cycle"), default=1)
    tranches = models.PositiveSmallIntegerField(
        _("number of tranches"),
        null=True,
        blank=True,
        help_text=_("Empty: one cycle a month over the period. A number: at most that many cycles (tranches)."),
    )
    budget_ceiling = models.PositiveBigIntegerField(_("budget ceiling (Rp)"), default=0)
    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices, blank=True)
    exclusive_with = models.ManyToManyField("self", verbose_name=_("mutually exclusive with"), blank=True)
    # Shock mode: a programme opened quickly for households flagged as affected by one event.
    shock_event = models.CharField(
        _("shock event"),
        max_length=120,
        blank=True,
        help_text=_("Set for a shock programme: only households flagged as affected by this event qualify."),
    )
    shock_until = models.DateField(
        _("shock mode ends"), null=True, blank=True, help_text=_("No enrolment or new cycle after this date.")
    )

    area_scope = AreaScope(paths=(), actions=PROGRAMME_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class ShockFlag(models.Model):
    """A household reported as affected by a shock (an event such as a flood, a fire or mass lay-offs),
    by an operator of its kelurahan: what shock programmes for that event select from."""

    class Kind(models.TextChoices):
        LOST_INCOME = "lost_income", _("Lost income or work")
        DISASTER = "disaster", _("Disaster (flood, fire, landslide)")
        OTHER = "other", _("Other shock")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="shock_flags")
    event = models.CharField(_("event"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    area_scope = AreaScope(
        paths=("household__kelurahan",),
        actions={"view": (Capability.CHANGE_REGISTRY,), "change": (Capability.CHANGE_REGISTRY,)},
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("affected household")
        verbose_name_plural = _("affected households")
        constraints = [models.UniqueConstraint(fields=["household", "event"], name="one_flag_per_event")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.event}"


class Enrolment(models.Model):
    """A household's place in a programme (OpenSPP's programme membership), with its state and the
    reason for the last change. The account a household is paid into is its payee account
    (:class:`entas.payees.models.Payee`), one for every programme."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ENROLLED = "enrolled", _("Enrolled")
        PAUSED = "paused", _("Paused")
        EXITED = "exited", _("Exited")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        DUPLICATE = "duplicate", _("Duplicate")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="enrolments")
    state = models.CharField(_("state"), max_length=14, choices=State.choices, default=State.DRAFT, db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True, help_text=_("rule, community_added or manual"))
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    area_scope = AreaScope(paths=("household__kelurahan",), actions=PROGRAMME_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["programme", "household"], name="one_enrolment_per_programme")]

    def __str__(self) -> str:
        return f"{self.programme_id}:{self.household_id} {self.state}"


class Cycle(models.Model):
    """One payment round of a programme. States: draft → to_approve → approved → disbursed →
    reconciled → closed, or cancelled from draft/to_approve (DOMAIN §6.4; the rules of each step are
    :func:`entas.programs.rules.decide`). While a job writes its payment file the job holds the
    cycle's lock key (:func:`lock_key`), and every step waits for it."""

    State = CycleState

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveSmallIntegerField(_("number"))
    period = models.CharField(_("period"), max_length=20, help_text=_("e.g. 2026-12"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    control_count = models.PositiveIntegerField(_("control count"), default=0)
    control_sum = models.PositiveBigIntegerField(_("control sum (Rp)"), default=0)

    area_scope = AreaScope(paths=(), actions=PROGRAMME_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="one_cycle_number")]

    def __str__(self) -> str:
        return f"{self.programme} #{self.number} ({self.period})"

    @property
    def lock_key(self) -> str:
        """What a job working on this cycle holds (entas.core.jobqueue's lock keys)."""
        return f"programs.cycle.{self.pk}"


class Entitlement(models.Model):
    """What one household is due in one cycle. One per (cycle, household), enforced by the database:
    a household can never be paid twice in a cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="entitlements")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="entitlements")
    amount = models.PositiveIntegerField(_("amount (Rp)"))
    flags = models.CharField(_("flags"), max_length=200, blank=True)

    area_scope = AreaScope(paths=("household__kelurahan",), actions=PROGRAMME_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        constraints = [models.UniqueConstraint(fields=["cycle", "household"], name="one_entitlement_per_cycle")]

    def __str__(self) -> str:
        return f"{self.cycle_id}:{self.household_id} {self.amount}"


class Payment(models.Model):
    """One attempt to pay an entitlement. A failed payment is retried only by a new payment that
    references it (``retry_of``), never by sending the same one again."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("end-to-end reference"), max_length=35, unique=True)
    amount = models.PositiveIntegerField(_("amount (Rp)"))
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.SENT)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    retry_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="retry")
    created_at = models.DateTimeField(default=timezone.now)

    area_scope = AreaScope(paths=("entitlement__household__kelurahan",), actions=PROGRAMME_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.reference
