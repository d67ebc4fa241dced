"""Skills training: providers, their courses, cohorts (classes) with sessions, the people who apply,
their attendance, completion and certification, and what became of them (tracer study)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet
from entas.registry.choices import Industry, SchoolLevel

from . import choices as c
from .rules import PRIORITIES, check_priorities

# Who may read and write training data. Reading people's applications is for the training officer
# (city-wide or in their areas), the kelurahan operator (their kelurahan's applicants) and the
# auditor; writing is the training officer's. Counting them (outcome figures, no names) is also
# for the TKPK analyst.
PEOPLE_ACTIONS = {
    "view": (Capability.MANAGE_TRAINING, Capability.VIEW_REGISTRY, Capability.VIEW_AUDIT),
    "change": (Capability.MANAGE_TRAINING,),
    "aggregate": (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT),
}
CITY_ACTIONS = {
    "view": (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT, Capability.VIEW_REGISTRY),
    "change": (Capability.MANAGE_TRAINING,),
}


def default_priorities() -> list[str]:
    return list(PRIORITIES)


def validate_priorities(value: object) -> None:
    problems = check_priorities(value) if isinstance(value, list) else [_("a list of criteria")]
    if problems or not value:
        raise ValidationError("; ".join(str(p) for p in problems) or _("at least one criterion"))


class Provider(models.Model):
    """An institution that trains: the city's UPTD BLKI, a private LPK, a vocational school, a
    polytechnic or a company, with its memorandum of understanding (MoU) with the city, its
    accreditation and how many people it can train a year. A partner provider contributes places or
    money of its own (the participation pillar)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=12, choices=c.ProviderKind.choices)
    accreditation = models.CharField(_("accreditation"), max_length=80, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact = models.CharField(_("contact"), max_length=160, blank=True)
    capacity_per_year = models.PositiveIntegerField(_("trainees per year"), null=True, blank=True)
    mou_number = models.CharField(_("MoU number"), max_length=80, blank=True)
    mou_start = models.DateField(_("MoU from"), null=True, blank=True)
    mou_end = models.DateField(_("MoU until"), null=True, blank=True)
    partner = models.BooleanField(_("partner"), default=False, help_text=_("Contributes places or money."))
    contribution = models.CharField(_("contribution"), max_length=200, blank=True)

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("training provider")
        verbose_name_plural = _("training providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    """A course a provider offers: its competency area and certification scheme (BNSP/SKKNI), hours,
    mode, class size and cost per trainee, and who may take it (age band, desil ceiling, schooling,
    kelurahan) with the quotas a selection keeps (a minimum share of women, a maximum per
    kelurahan)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="courses")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    competency_area = models.CharField(_("competency area"), max_length=120)
    scheme = models.CharField(_("certification scheme (BNSP/SKKNI)"), max_length=160, blank=True)
    hours = models.PositiveIntegerField(_("hours"))
    mode = models.CharField(_("mode"), max_length=10, choices=c.Mode.choices, default=c.Mode.IN_PERSON)
    class_size = models.PositiveIntegerField(_("places per class"), default=16)
    cost_per_trainee = models.PositiveIntegerField(_("cost per trainee (Rp)"), default=0)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), default=35)
    max_desil = models.PositiveSmallIntegerField(
        _("desil ceiling"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    min_school_level = models.CharField(_("minimum schooling"), max_length=2, choices=SchoolLevel.choices, blank=True)
    kelurahan_codes = models.JSONField(
        _("kelurahan"), default=list, blank=True, help_text=_("Codes of the kelurahan served; empty: the whole city.")
    )
    min_women_share = models.DecimalField(
        _("minimum share of women"),
        max_digits=3,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    max_per_kelurahan = models.PositiveSmallIntegerField(_("maximum per kelurahan"), null=True, blank=True)
    priorities = models.JSONField(
        _("priority order"),
        default=default_priorities,
        help_text=_(
            "Criteria of priority in order, from: desil, never_trained, unemployed, disability "
            "(default: all four in that order)."
        ),
        validators=[validate_priorities],
    )
    attendance_threshold = models.PositiveSmallIntegerField(
        _("attendance needed to complete (%)"), default=80, validators=[MaxValueValidator(100)]
    )

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """One class of a course, run under a training programme of the city's policy register: its dates,
    venue, trainer and seats. ``seed`` fixes the tie-break of its selection (documented in
    docs/training.md), so the same applicants always give the same result."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts")
    programme = models.ForeignKey(
        "programs.Programme",
        verbose_name=_("training programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_cohorts",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    venue = models.CharField(_("venue"), max_length=160, blank=True)
    trainer = models.CharField(_("trainer"), max_length=120, blank=True)
    seats = models.PositiveIntegerField(_("seats"))
    seed = models.CharField(_("selection seed"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=c.CohortStatus.choices, default=c.CohortStatus.PLANNED
    )
    selected_at = models.DateTimeField(_("selected"), null=True, blank=True)

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-start", "code"]

    def __str__(self) -> str:
        return self.code


class Session(models.Model):
    """One meeting of a cohort (a day of training), the unit attendance is recorded for."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("number"))
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=160, blank=True)

    area_scope = AreaScope(paths=(), actions=CITY_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["cohort", "number"]
        constraints = [models.UniqueConstraint(fields=["cohort", "number"], name="one_session_number_per_cohort")]

    def __str__(self) -> str:
        return f"{self.cohort.code} #{self.number}"


class Application(models.Model):
    """A person applying for a cohort. Usually a registry member (``member``); a person not in the
    registry is captured with the same NIK validation and ``needs_verification`` set, so a
    kelurahan operator registers and verifies them. ``kelurahan`` is where the person lives (their
    family's kelurahan), which scopes who sees the application. The selection writes ``status``,
    ``rank`` and the ``reason`` in words; a decision changed by hand carries ``override_reason``."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="applications")
    member = models.ForeignKey(
        "registry.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="training_applications"
    )
    nik = models.CharField(_("NIK"), max_length=16)
    name = models.CharField(_("name"), max_length=120)
    sex = models.CharField(_("sex"), max_length=1)
    birth_date = models.DateField(_("birth date"))
    kelurahan = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    needs_verification = models.BooleanField(_("to verify in the registry"), default=False)
    channel = models.CharField(_("channel"), max_length=10, choices=c.Channel.choices)
    baseline_income = models.PositiveIntegerField(_("monthly income at application (Rp)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=c.ApplicationStatus.choices, default=c.ApplicationStatus.APPLIED
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    override_reason = models.CharField(_("reason for the change by hand"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("applied"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    area_scope = AreaScope(paths=("kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["cohort", "rank", "pk"]
        constraints = [models.UniqueConstraint(fields=["cohort", "nik"], name="one_application_per_cohort")]

    def __str__(self) -> str:
        return f"{self.cohort.code} {self.name}"


class Attendance(models.Model):
    """Whether a selected trainee attended one session: present, absent or excused."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(_("attendance"), max_length=8, choices=c.AttendanceStatus.choices)

    area_scope = AreaScope(paths=("application__kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "application"], name="one_attendance_per_session")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.application_id}: {self.status}"


class Completion(models.Model):
    """How a trainee's course ended: completed (with the attendance reached, the competency
    assessment and the certificate number and scheme) or dropped out with a reason."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="completion")
    outcome = models.CharField(_("outcome"), max_length=12, choices=c.Outcome.choices)
    ended_on = models.DateField(_("ended on"))
    attendance_rate = models.PositiveSmallIntegerField(_("attendance (%)"), null=True, blank=True)
    assessment = models.CharField(
        _("assessment"), max_length=14, choices=c.Assessment.choices, default=c.Assessment.NOT_ASSESSED
    )
    certificate_number = models.CharField(_("certificate number"), max_length=80, blank=True)
    certificate_scheme = models.CharField(_("certificate scheme"), max_length=160, blank=True)
    dropout_reason = models.CharField(_("dropout reason"), max_length=200, blank=True)

    area_scope = AreaScope(paths=("application__kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("completion")
        verbose_name_plural = _("completions")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.outcome}"

    @property
    def certified(self) -> bool:
        return bool(self.certificate_number)


class TracerResult(models.Model):
    """A follow-up of a trainee 3, 6 or 12 months after completing (the tracer study): working for a
    wage, self-employed or not working, monthly income, own business, sector and contract."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tracer_results")
    months = models.PositiveSmallIntegerField(_("months after completion"), choices=[(3, "3"), (6, "6"), (12, "12")])
    surveyed_on = models.DateField(_("surveyed on"))
    employment = models.CharField(_("employment"), max_length=6, choices=c.Employment.choices)
    monthly_income = models.PositiveIntegerField(_("monthly income (Rp)"), null=True, blank=True)
    own_business = models.BooleanField(_("own business"), default=False)
    sector = models.CharField(_("sector"), max_length=4, choices=Industry.choices, blank=True)
    contract = models.CharField(_("contract"), max_length=10, choices=c.Contract.choices, default=c.Contract.NONE)

    area_scope = AreaScope(paths=("application__kelurahan",), actions=PEOPLE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tracer result")
        verbose_name_plural = _("tracer results")
        ordering = ["application", "months"]
        constraints = [models.UniqueConstraint(fields=["application", "months"], name="one_tracer_result_per_wave")]

    def __str__(self) -> str:
        return f"{self.application_id} +{self.months}: {self.employment}"
