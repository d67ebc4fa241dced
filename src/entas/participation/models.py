"""Community participation (entas.participation): the forums the city holds with its residents and what
they decide. A musyawarah kelurahan decides, household by household, on the registry's list and on a
rule's list; each decision is recorded once here and read by the registry's verification and by
targeting (:mod:`entas.participation.overrides`). The stages of the Musrenbang are recorded as
forums too (the forum calendar). See docs/participation.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from . import choices as c

# A forum (its date, agenda, attendance by sex) holds no personal data: the registry's people, the
# TKPK analysts and the register's keepers see the calendar; recording one is the kelurahan
# operator's (a musyawarah, a kelurahan Musrenbang) or Bappeda's (the higher Musrenbang stages).
FORUM_ACTIONS = {
    "view": (Capability.VIEW_REGISTRY, Capability.VIEW_ANALYTICS, Capability.VIEW_POLICY),
    "change": (Capability.CHANGE_REGISTRY, Capability.EDIT_POLICY),
}
# A decision names a household: the registry's people only.
DECISION_ACTIONS = {
    "view": (Capability.VIEW_REGISTRY,),
    "change": (Capability.CHANGE_REGISTRY,),
}


class Forum(models.Model):
    """A forum held with residents: a musyawarah kelurahan on the registry's list, or one stage of the
    Musrenbang (rembug warga → kelurahan → kecamatan → forum perangkat daerah → kota). Held in an area
    (the kelurahan, the kecamatan, or the city for the last two stages) on a date, with its agenda, its
    chair and the attendance by group and sex; its berita acara (minutes) is printed from what is
    recorded here, and the signed scan is attached once the participants have signed it."""

    kind = models.CharField(_("kind"), max_length=24, choices=c.ForumKind.choices)
    area = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="forums")
    rt = models.CharField(_("RT/RW"), max_length=20, blank=True)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    chair = models.CharField(_("chair"), max_length=120, blank=True)
    secretary = models.CharField(_("secretary"), max_length=120, blank=True)
    berita_acara = models.CharField(_("berita acara number"), max_length=120, unique=True)
    scan = models.CharField(_("signed scan"), max_length=300, blank=True)
    scan_name = models.CharField(_("signed scan file name"), max_length=200, blank=True)
    scan_uploaded_at = models.DateTimeField(_("scan uploaded at"), null=True, blank=True)
    scan_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    area_scope = AreaScope(paths=("area",), actions=FORUM_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        indexes = [models.Index(fields=["kind", "held_on"], name="participation_forum_kind_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.area.name} {self.held_on} ({self.berita_acara})"

    @property
    def is_musyawarah(self) -> bool:
        return self.kind == c.ForumKind.MUSYAWARAH


class Attendance(models.Model):
    """How many of a group attended a forum, counted by sex (the berita acara's attendance)."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="attendance")
    group = models.CharField(_("group"), max_length=12, choices=c.AttendeeGroup.choices)
    men = models.PositiveIntegerField(_("men"), default=0)
    women = models.PositiveIntegerField(_("women"), default=0)

    class Meta:
        ordering = ["forum", "group"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["forum", "group"], name="one_attendance_per_group")]

    def __str__(self) -> str:
        return f"{self.forum_id} {self.group}: {self.men}+{self.women}"

    @property
    def total(self) -> int:
        return self.men + self.women


class ForumDecision(models.Model):
    """A musyawarah's decision on one household: add it to the list, remove it (with the reason) or
    keep it. The one record of that decision: on the registry's list (``rule`` empty) it sets the
    household's verification; on a rule's list it adds to or removes from the rule's selection (the
    targeting overrides read these rows: :mod:`entas.participation.overrides`). A household is decided
    on once per forum and list; a later forum's decision supersedes an earlier one."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="decisions")
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="forum_decisions"
    )
    rule = models.ForeignKey(
        "targeting.EligibilityRule",
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text=_("Empty: the registry's list itself."),
    )
    action = models.CharField(_("decision"), max_length=6, choices=c.Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    verification = models.CharField(
        _("effect on the verification"), max_length=10, choices=c.Verification.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    area_scope = AreaScope(paths=("household__kelurahan",), actions=DECISION_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["forum", "pk"]
        verbose_name = _("musyawarah decision")
        verbose_name_plural = _("musyawarah decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["forum", "household", "rule"],
                name="one_decision_per_forum_rule",
                condition=Q(rule__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["forum", "household"], name="one_decision_per_forum_registry", condition=Q(rule__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.household_id} ({self.forum_id})"

    # What the targeting pages read of a decision (they knew it as a "community override").
    @property
    def berita_acara(self) -> str:
        return self.forum.berita_acara

    @property
    def decided_on(self) -> object:
        return self.forum.held_on

    def get_action_display(self) -> str:  # type: ignore[no-redef]
        return str(c.Decision(self.action).label)


class Proposal(models.Model):
    """A residents' proposal (usulan) of the Musrenbang: where (kelurahan and RT), what kind, the
    poverty problem it addresses, its estimated cost and who proposed it (a group or office, e.g.
    "RT 12", not a person's data). It moves up the stages — ``stage`` is the highest forum that has
    taken it — with a priority score and votes at each (:class:`Review`); its status says whether it
    is still in play, merged into another, rejected with the reason, or funded, and then by which
    programme or activity of the policy register: the trace from a citizen's proposal to the budget
    line."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kelurahan = models.ForeignKey(
        "regions.Region", verbose_name=_("kelurahan"), on_delete=models.PROTECT, related_name="proposals"
    )
    rt = models.CharField(_("RT/RW"), max_length=20, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=c.ProposalCategory.choices)
    problem = models.CharField(_("poverty problem addressed"), max_length=300, blank=True)
    estimated_cost = models.PositiveBigIntegerField(_("estimated cost (Rp)"), default=0)
    proposer = models.CharField(_("proposed by"), max_length=120, help_text=_("A group or office, e.g. RT 12"))
    stage = models.CharField(_("stage"), max_length=24, choices=c.ForumKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=c.ProposalStatus.choices, default=c.ProposalStatus.PROPOSED
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    funded_record = models.ForeignKey(
        "policy.ProgrammeRecord",
        verbose_name=_("funded by programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    funded_activity = models.ForeignKey(
        "policy.Activity",
        verbose_name=_("funded by activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    area_scope = AreaScope(paths=("kelurahan",), actions=FORUM_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("proposal (usulan)")
        verbose_name_plural = _("proposals (usulan)")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def addresses_poverty(self) -> bool:
        return bool(self.problem.strip())


class Review(models.Model):
    """A proposal taken at one forum of the Musrenbang: its priority score there (0–100), the votes
    for and against, and what the forum decided (accepted to go up, merged, rejected)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews")
    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="reviews")
    score = models.PositiveSmallIntegerField(_("priority score"), default=0)
    votes_for = models.PositiveIntegerField(_("votes for"), default=0)
    votes_against = models.PositiveIntegerField(_("votes against"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=c.Outcome.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["proposal", "pk"]
        verbose_name = _("review at a forum")
        verbose_name_plural = _("reviews at forums")
        constraints = [models.UniqueConstraint(fields=["proposal", "forum"], name="one_review_per_forum")]

    def __str__(self) -> str:
        return f"{self.proposal_id} @ {self.forum_id}: {self.outcome}"


# Partners are the city's, not an area's: the register's readers see them; Bappeda keeps them.
PARTNER_ACTIONS = {
    "view": (Capability.VIEW_POLICY,),
    "change": (Capability.EDIT_POLICY,),
}


class Partner(models.Model):
    """An organisation that works with the city against poverty: an NGO, a company's CSR/TJSL
    programme (e.g. an oil refinery's), a university, a faith-based organisation or a bank; its contact
    person, and the partner users who sign in for it (the partner portal: its own contributions and the
    programmes it funds, as figures only)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=12, choices=c.PartnerKind.choices)
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=120, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("partner users"), blank=True, related_name="partner_organisations"
    )

    area_scope = AreaScope(paths=(), actions=PARTNER_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """A partner's MoU or PKS with the city: its number, dates, scope and the kelurahan it covers."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(_("kind"), max_length=4, choices=c.AgreementKind.choices)
    number = models.CharField(_("number"), max_length=80)
    signed_on = models.DateField(_("signed on"))
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    scope = models.TextField(_("scope"), blank=True)
    kelurahan = models.ManyToManyField("regions.Region", verbose_name=_("kelurahan"), blank=True, related_name="+")

    class Meta:
        ordering = ["partner", "-start"]
        verbose_name = _("agreement (MoU/PKS)")
        verbose_name_plural = _("agreements (MoU/PKS)")
        constraints = [models.UniqueConstraint(fields=["partner", "number"], name="one_agreement_number")]

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.number}"


class Contribution(models.Model):
    """What a partner gives a programme (or one of its activities) of the policy register in a year,
    in a kelurahan or city-wide: cash, items with their value, volunteer hours, or trainers and
    training places; pledged, then delivered. Delivered cash and goods count in the register's
    funding roll-ups (source "partner contributions")."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="contributions")
    kind = models.CharField(_("kind"), max_length=16, choices=c.ContributionKind.choices)
    description = models.CharField(_("description"), max_length=200)
    record = models.ForeignKey(
        "policy.ProgrammeRecord", verbose_name=_("programme"), on_delete=models.PROTECT, related_name="contributions"
    )
    activity = models.ForeignKey(
        "policy.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributions",
    )
    kelurahan = models.ForeignKey(
        "regions.Region", verbose_name=_("kelurahan"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    pledged_value = models.PositiveBigIntegerField(_("pledged value (Rp)"), default=0)
    delivered_value = models.PositiveBigIntegerField(_("delivered value (Rp)"), default=0)
    pledged_quantity = models.PositiveIntegerField(_("pledged quantity"), default=0)
    delivered_quantity = models.PositiveIntegerField(_("delivered quantity"), default=0)
    unit = models.CharField(_("unit"), max_length=40, blank=True, help_text=_("hours, places, packages…"))
    delivered_on = models.DateField(_("last delivered on"), null=True, blank=True)
    report = models.CharField(_("delivery report"), max_length=300, blank=True)
    report_name = models.CharField(_("delivery report file name"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    area_scope = AreaScope(paths=(), actions=PARTNER_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "-year", "pk"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind} {self.year}"

    @property
    def counts_as_money(self) -> bool:
        return self.kind in (c.ContributionKind.CASH, c.ContributionKind.IN_KIND)
