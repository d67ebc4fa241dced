"""Economic empowerment: the micro-business, farmer and fisher groups the city fosters, the help they
get (grants, revolving loans, mentoring), their markets and what they report."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from . import choices as c
from . import rules

# Who sees and changes a group and everything about it: the training/UMKM officer (DKUMKMP, Disnaker)
# of its kelurahan (training.manage: "training and micro-business groups"); auditors see.
ACTIONS = {
    "view": (Capability.MANAGE_TRAINING, Capability.VIEW_AUDIT),
    "change": (Capability.MANAGE_TRAINING,),
    # results: aggregates only, for TKPK analysts too
    "analyse": (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT),
}


def validate_kbli(value: str) -> None:
    if not rules.kbli_ok(value):
        raise ValidationError(_("A KBLI code has five digits."), code="kbli")


def validate_nib(value: str) -> None:
    if value and not rules.nib_ok(value):
        raise ValidationError(_("An NIB has thirteen digits."), code="nib")


def _scope(path: str) -> AreaScope:
    return AreaScope(paths=(path,), actions=ACTIONS)


class Group(models.Model):
    """A business group the city fosters: a KUBE (*kelompok usaha bersama*), a micro-enterprise (a
    group of one), a farmer or fisher group, a cooperative or a women's group. Its sector is a KBLI
    2020 code, its legal standing an NIB from OSS (certificates are :class:`Certification` rows), it
    sits in a kelurahan. ``closed_on``: the day it stopped trading (survival counts from its first
    assistance)."""

    name = models.CharField(_("name"), max_length=120)
    type = models.CharField(_("type"), max_length=10, choices=c.GroupType.choices)
    kbli = models.CharField(_("KBLI sector code"), max_length=5, validators=[validate_kbli])
    product = models.CharField(_("main product"), max_length=120, blank=True)
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    founded = models.DateField(_("founded"))
    nib = models.CharField(_("NIB"), max_length=13, blank=True, validators=[validate_nib])
    programme = models.ForeignKey(
        "programs.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fostered under"),
    )
    closed_on = models.DateField(_("stopped trading"), null=True, blank=True)
    created_at = models.DateTimeField(_("entered"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    area_scope = _scope("kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("business group")
        verbose_name_plural = _("business groups")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["name", "kelurahan"], name="group_name_per_kelurahan")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A registry person's seat in a group, with their role; leaving ends the row (``left_on``) and a
    new role is a new row, so the group's history stays."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=c.Role.choices, default=c.Role.MEMBER)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["group", "left_on", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "member"], condition=Q(left_on__isnull=True), name="one_open_seat_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.group_id}"


class Grant(models.Model):
    """A grant to a group under a programme: cash, or equipment (its items and their values add up
    to ``amount``), handed over on a day against a *berita acara serah terima* (its number)."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="grants")
    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=c.GrantKind.choices)
    amount = models.PositiveBigIntegerField(_("value (Rp)"))
    handed_over_on = models.DateField(_("handed over"))
    handover_reference = models.CharField(_("handover record (berita acara) number"), max_length=60)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["-handed_over_on", "-pk"]

    def __str__(self) -> str:
        return self.handover_reference


class GrantItem(models.Model):
    """One line of an equipment grant: what, how many, at what unit value."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(_("item"), max_length=120)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_value = models.PositiveBigIntegerField(_("unit value (Rp)"))

    class Meta:
        verbose_name = _("grant item")
        verbose_name_plural = _("grant items")
        ordering = ["grant", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def value(self) -> int:
        return self.quantity * self.unit_value


class Loan(models.Model):
    """A revolving-fund loan (*dana bergulir*) to a group: principal, yearly rate in basis points,
    term, first due date and method; its schedule is computed (:func:`rules.schedule`), its payments
    are :class:`Repayment` rows. A loan in default is written off on a request and another person's
    approval."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="loans")
    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(_("loan reference"), max_length=40, unique=True)
    principal = models.PositiveBigIntegerField(_("principal (Rp)"))
    annual_rate_bp = models.PositiveIntegerField(_("yearly rate (basis points)"), default=0)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    method = models.CharField(_("interest method"), max_length=10, choices=c.Method.choices, default=c.Method.FLAT)
    disbursed_on = models.DateField(_("disbursed"))
    first_due = models.DateField(_("first instalment due"))
    write_off_reason = models.CharField(_("write-off reason"), max_length=300, blank=True)
    write_off_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    write_off_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    written_off_on = models.DateField(_("written off"), null=True, blank=True)
    written_off_amount = models.PositiveBigIntegerField(_("principal written off (Rp)"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-disbursed_on", "-pk"]

    def __str__(self) -> str:
        return self.reference

    def schedule(self) -> list[rules.Instalment]:
        return rules.schedule(self.principal, self.annual_rate_bp, self.term_months, self.first_due, self.method)


class Repayment(models.Model):
    """A payment on a loan, known by its reference (the bank's or the receipt's): the same reference
    is the same payment, so a file imported twice counts it once."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    reference = models.CharField(_("payment reference"), max_length=60, unique=True)
    paid_on = models.DateField(_("paid"))
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    area_scope = _scope("loan__group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["loan", "paid_on", "pk"]

    def __str__(self) -> str:
        return self.reference


class MentoringVisit(models.Model):
    """A facilitator's business-mentoring visit (*pendampingan*): when, what was worked on, what next."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("visited"))
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    topics = models.CharField(_("topics"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mentoring visit")
        verbose_name_plural = _("mentoring visits")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.group_id} {self.visited_on}"


class BusinessReport(models.Model):
    """A group's figures for a month or a quarter (``period_start``: its first day): production in
    the group's unit, revenue, costs (profit is their difference), workers (family and hired) and
    capital. A report that jumps more than tenfold is kept with ``flagged`` and the reason."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="reports")
    period = models.CharField(_("period"), max_length=8, choices=c.Period.choices)
    period_start = models.DateField(_("period start"))
    production = models.PositiveBigIntegerField(_("production"), default=0)
    revenue = models.PositiveBigIntegerField(_("revenue (Rp)"))
    costs = models.PositiveBigIntegerField(_("costs (Rp)"))
    workers_family = models.PositiveSmallIntegerField(_("family workers"), default=0)
    workers_hired = models.PositiveSmallIntegerField(_("hired workers"), default=0)
    capital = models.PositiveBigIntegerField(_("capital (Rp)"), default=0)
    flagged = models.CharField(_("flagged"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=10, default="page")
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("business report")
        verbose_name_plural = _("business reports")
        ordering = ["group", "period_start", "pk"]
        constraints = [models.UniqueConstraint(fields=["group", "period", "period_start"], name="one_report_a_period")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.period_start:%Y-%m}"

    @property
    def months(self) -> int:
        return 3 if self.period == c.Period.QUARTER else 1

    @property
    def profit(self) -> int:
        return int(self.revenue) - int(self.costs)

    def facts(self) -> rules.ReportFacts:
        return rules.ReportFacts(
            self.months,
            int(self.production),
            int(self.revenue),
            int(self.costs),
            self.workers_family,
            self.workers_hired,
            int(self.capital),
        )


class Buyer(models.Model):
    """A buyer or off-taker the city links groups with (a hotel, a retailer, an exporter)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BuyerLink(models.Model):
    """A group selling to a buyer since a day (what they buy)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="buyer_links")
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="links")
    since = models.DateField(_("since"))
    product = models.CharField(_("product"), max_length=120, blank=True)

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("buyer link")
        verbose_name_plural = _("buyer links")
        constraints = [models.UniqueConstraint(fields=["group", "buyer"], name="one_link_per_buyer")]

    def __str__(self) -> str:
        return f"{self.group_id} → {self.buyer_id}"


class MarketEvent(models.Model):
    """A bazaar, an exhibition, or a marketplace onboarding the city runs or sends groups to."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=c.EventKind.choices)
    held_on = models.DateField(_("held"))
    place = models.CharField(_("place"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("market event")
        verbose_name_plural = _("market events")
        ordering = ["-held_on", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "held_on"], name="one_event_a_day")]

    def __str__(self) -> str:
        return self.name


class Participation(models.Model):
    """A group at a market event, and what it sold there."""

    event = models.ForeignKey(MarketEvent, on_delete=models.PROTECT, related_name="participations")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="participations")
    sales = models.PositiveBigIntegerField(_("sales (Rp)"), default=0)

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("event participation")
        verbose_name_plural = _("event participations")
        constraints = [models.UniqueConstraint(fields=["event", "group"], name="one_participation")]

    def __str__(self) -> str:
        return f"{self.group_id} at {self.event_id}"


class Certification(models.Model):
    """A product certificate or registration a group obtained (halal, PIRT, HAKI, BPOM)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(_("kind"), max_length=6, choices=c.Certificate.choices)
    number = models.CharField(_("number"), max_length=60)
    obtained_on = models.DateField(_("obtained"))

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["group", "obtained_on"]
        constraints = [models.UniqueConstraint(fields=["group", "kind"], name="one_certificate_a_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"


class CreditLinkage(models.Model):
    """A group linked to formal credit: a KUR or UMi loan it obtained through the city's help."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="credit_links")
    scheme = models.CharField(_("scheme"), max_length=4, choices=c.Scheme.choices)
    lender = models.CharField(_("lender"), max_length=80)
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    obtained_on = models.DateField(_("obtained"))

    area_scope = _scope("group__kelurahan")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit linkage")
        verbose_name_plural = _("credit linkages")
        ordering = ["group", "obtained_on"]

    def __str__(self) -> str:
        return f"{self.scheme} {self.amount}"
