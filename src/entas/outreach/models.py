"""Awareness campaigns and seminars: campaigns under a campaign programme of the policy register,
their materials and questionnaires, the events that carry them to the kelurahan, who attended (people
of the registry, people checked by NIK, and people only counted), the knowledge tests answered before
and after, and the follow-up measurements of attending and comparable households from the registry."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from . import choices as c

# Campaigns and their events belong to the city (no personal data): the campaign officer runs them;
# the TKPK analyst, the auditor and whoever sees the registry read them.
CITY_ACTIONS = {
    "view": (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT, Capability.VIEW_REGISTRY),
    "change": (Capability.MANAGE_OUTREACH,),
}
# Who attended and what they answered is personal: the officer of the person's area, the kelurahan
# operator (their people) and the auditor read it; counting it (no names) is also the analyst's.
PEOPLE_ACTIONS = {
    "view": (Capability.MANAGE_OUTREACH, Capability.VIEW_REGISTRY, Capability.VIEW_AUDIT),
    "change": (Capability.MANAGE_OUTREACH,),
    "aggregate": (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT),
}


class Campaign(models.Model):
    """An awareness campaign run under a campaign programme of the policy register: its theme, the
    group it addresses and the kelurahan it targets (suggested from the registry), its channel, its
    partners and its period. ``max_desil`` bounds the target population its reach is measured
    against (households of the target kelurahan up to that desil)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    programme = models.ForeignKey(
        "programs.Programme",
        verbose_name=_("campaign programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_campaigns",
    )
    theme = models.CharField(_("theme"), max_length=12, choices=c.Theme.choices)
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=c.Channel.choices)
    partners = models.CharField(_("partners"), max_length=200, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    max_desil = models.PositiveSmallIntegerField(
        _("target desil ceiling"), default=4, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    target_kelurahan = models.ManyToManyField(
        "regions.Region", verbose_name=_("target kelurahan"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start", "code"]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """A file of a campaign (a leaflet, slides, a radio script), kept in every version uploaded: a new
    upload with the same title is the next version."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=160)
    version = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to="outreach/materials/")
    name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign material")
        verbose_name_plural = _("campaign materials")
        ordering = ["title", "-version"]
        constraints = [models.UniqueConstraint(fields=["campaign", "title", "version"], name="one_material_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Question(models.Model):
    """One multiple-choice question of a campaign's knowledge test, with its options (lettered a, b, …)
    and the letter of the right one."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.CharField(_("question"), max_length=300)
    options = models.JSONField(_("options"), default=list)
    key = models.CharField(_("key"), max_length=1)

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="one_question_number")]

    def __str__(self) -> str:
        return f"{self.campaign_id} Q{self.number}"


class Event(models.Model):
    """One event of a campaign (a seminar, a posyandu session, a door-to-door round): its date, the
    kelurahan and venue (with optional coordinates), its facilitators and budget."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    date = models.DateField(_("date"))
    kelurahan = models.ForeignKey(
        "regions.Region", verbose_name=_("kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    venue = models.CharField(_("venue"), max_length=160)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    facilitators = models.CharField(_("facilitators"), max_length=200, blank=True)
    budget = models.PositiveBigIntegerField(_("budget (Rp)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    area_scope = AreaScope(paths=("kelurahan",), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-date", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.date})"


class Attendance(models.Model):
    """A person who attended an event, known by NIK: a registry member (``member`` and ``household``
    set), or a person not in the registry, checked as the registry checks a NIK and flagged for a
    kelurahan operator to verify. ``kelurahan`` is where the person lives (scoping who sees them)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "registry.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="outreach_attendance"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="outreach_attendance"
    )
    nik = models.CharField(_("NIK"), max_length=16)
    name = models.CharField(_("name"), max_length=120)
    sex = models.CharField(_("sex"), max_length=1, choices=c.Sex.choices)
    birth_date = models.DateField(_("birth date"))
    age_band = models.CharField(_("age band"), max_length=5, choices=c.AGE_BAND_CHOICES)
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    needs_verification = models.BooleanField(_("to verify in the registry"), default=False)
    source = models.CharField(_("recorded by"), max_length=8, choices=c.Source.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    area_scope = AreaScope(paths=("kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendance")
        ordering = ["event", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "nik"], name="one_attendance_per_event")]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.name}"


class HeadCount(models.Model):
    """People counted at an event without a name (a crowd at a mosque, a radio call-in): how many, by
    sex and age band."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="head_counts")
    sex = models.CharField(_("sex"), max_length=1, choices=c.Sex.choices)
    age_band = models.CharField(_("age band"), max_length=5, choices=c.AGE_BAND_CHOICES)
    count = models.PositiveIntegerField(_("people"))

    area_scope = AreaScope(paths=("event__kelurahan",), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("head count")
        verbose_name_plural = _("head counts")
        ordering = ["event", "sex", "age_band"]
        constraints = [models.UniqueConstraint(fields=["event", "sex", "age_band"], name="one_head_count_cell")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.sex}/{self.age_band}: {self.count}"


class Answer(models.Model):
    """The option an attendee chose for one question, before or after the event, and whether it was
    the key."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    phase = models.CharField(_("test"), max_length=6, choices=c.Phase.choices)
    choice = models.CharField(_("choice"), max_length=1)
    correct = models.BooleanField(_("right"))

    area_scope = AreaScope(paths=("attendance__kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["attendance", "question", "phase"], name="one_answer_per_test")]

    def __str__(self) -> str:
        return f"{self.attendance_id} Q{self.question_id} {self.phase}: {self.choice}"


class FollowUp(models.Model):
    """What the registry said of one household, attending or of the comparison group, at a wave of a
    campaign's follow-up (0: the baseline at its first attendance; 3 and 12 months after): its members
    of school age (7–18) and those in school, its members and those with JKN (PBI or paid), and the
    training applications its members had made. ``since`` is the first attendance of the household
    (for a comparison household: of the attending household it was matched to). Descriptive: the
    comparison is not a causal estimate."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="follow_ups")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    group = models.CharField(_("group"), max_length=10, choices=c.Group.choices)
    months = models.PositiveSmallIntegerField(_("months after attendance"))
    since = models.DateField(_("first attendance"))
    measured_on = models.DateField(_("measured on"))
    school_age = models.PositiveSmallIntegerField(_("members of school age"))
    in_school = models.PositiveSmallIntegerField(_("of them in school"))
    members = models.PositiveSmallIntegerField(_("members"))
    with_jkn = models.PositiveSmallIntegerField(_("members with JKN"))
    applications = models.PositiveSmallIntegerField(_("applications to programmes"))

    area_scope = AreaScope(paths=("household__kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household", "months"], name="one_follow_up_per_wave")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.household_id} +{self.months}"
