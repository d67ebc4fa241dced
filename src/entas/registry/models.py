from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet
from entas.core.ids import mask_nik

from . import choices as c


def _code(choices: type[models.TextChoices], label: Any, **extra: Any) -> models.CharField:
    """A coded answer: blank means 'not recorded'."""
    return models.CharField(label, max_length=4, choices=choices.choices, blank=True, **extra)


class Household(models.Model):
    """A family as listed on one Kartu Keluarga (KK), living in one kelurahan, with the housing,
    utilities and assets the Regsosek 2022 family form records (items 301–506).

    The KK number is an attribute, not an identity: Dukcapil issues a new number whenever the
    family changes (a move, the head's death, a divorce); the KK number history keeps every number.
    """

    kk_number = models.CharField(_("KK number"), max_length=16, unique=True)
    kelurahan = models.ForeignKey(
        "regions.Region", verbose_name=_("kelurahan"), on_delete=models.PROTECT, related_name="households"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    # Housing (301–305)
    building_ownership = _code(c.BuildingOwnership, _("building ownership"))
    land_certificate = _code(c.LandCertificate, _("land certificate"))
    floor_area_m2 = models.PositiveIntegerField(
        _("floor area (m²)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    floor_material = _code(c.FloorMaterial, _("floor material"))
    wall_material = _code(c.WallMaterial, _("wall material"))
    roof_material = _code(c.RoofMaterial, _("roof material"))
    # Utilities and sanitation (306–310)
    water_source = _code(c.WaterSource, _("drinking-water source"))
    lighting = _code(c.Lighting, _("lighting"))
    power_va = _code(c.PowerVA, _("PLN power (VA)"))
    cooking_fuel = _code(c.CookingFuel, _("cooking fuel"))
    toilet_facility = _code(c.ToiletFacility, _("toilet facility"))
    toilet_type = _code(c.ToiletType, _("toilet type"))
    sewage_disposal = _code(c.SewageDisposal, _("sewage disposal"))
    # Assets (502a–n)
    has_lpg_5kg = models.BooleanField(_("LPG cylinder ≥ 5.5 kg"), null=True, blank=True)
    has_fridge = models.BooleanField(_("refrigerator"), null=True, blank=True)
    has_ac = models.BooleanField(_("air conditioner"), null=True, blank=True)
    has_water_heater = models.BooleanField(_("water heater"), null=True, blank=True)
    has_landline = models.BooleanField(_("landline telephone"), null=True, blank=True)
    has_tv = models.BooleanField(_("television"), null=True, blank=True)
    has_gold = models.BooleanField(_("gold/jewellery ≥ 10 g"), null=True, blank=True)
    has_computer = models.BooleanField(_("computer/laptop"), null=True, blank=True)
    has_motorcycle = models.BooleanField(_("motorcycle"), null=True, blank=True)
    has_bicycle = models.BooleanField(_("bicycle"), null=True, blank=True)
    has_car = models.BooleanField(_("car"), null=True, blank=True)
    has_boat = models.BooleanField(_("boat"), null=True, blank=True)
    has_motorboat = models.BooleanField(_("motor boat"), null=True, blank=True)
    has_smartphone = models.BooleanField(_("smartphone"), null=True, blank=True)
    # Land, livestock, access (503–506)
    owns_land = models.BooleanField(_("owns land elsewhere"), null=True, blank=True)
    has_other_house = models.BooleanField(_("owns another house"), null=True, blank=True)
    cattle = models.PositiveSmallIntegerField(_("cattle"), null=True, blank=True)
    buffalo = models.PositiveSmallIntegerField(_("buffalo"), null=True, blank=True)
    horses = models.PositiveSmallIntegerField(_("horses"), null=True, blank=True)
    pigs = models.PositiveSmallIntegerField(_("pigs"), null=True, blank=True)
    goats = models.PositiveSmallIntegerField(_("goats/sheep"), null=True, blank=True)
    internet_access = models.BooleanField(_("internet access"), null=True, blank=True)
    bank_account = models.BooleanField(_("active bank account"), null=True, blank=True)

    # DTSEN ranking, kept as imported (the level matters: a national desil differs from a city one)
    desil_national = models.PositiveSmallIntegerField(
        _("DTSEN desil (national)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    desil_city = models.PositiveSmallIntegerField(
        _("DTSEN desil (kab/kota)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    desil_date = models.DateField(_("DTSEN data date"), null=True, blank=True)

    registration_source = models.CharField(
        _("registration source"),
        max_length=10,
        choices=c.RegistrationSource.choices,
        default=c.RegistrationSource.OPERATOR,
    )
    verification_status = models.CharField(
        _("verification status"),
        max_length=12,
        choices=c.VerificationStatus.choices,
        default=c.VerificationStatus.USULAN,
        db_index=True,
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    visit_date = models.DateField(_("field visit date"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    ratified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ratified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ratified_at = models.DateTimeField(_("ratified at"), null=True, blank=True)

    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every change (optimistic locking).")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Every change sets it (services, import, merges): indexed, so the newest change is one lookup
    # (the change token of cached whole-registry reads, targeting.data.change_token).
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)

    area_scope = AreaScope(paths=("kelurahan",))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kelurahan__code", "rt", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            models.Index(fields=["kelurahan", "rt"]),
            models.Index(fields=["kelurahan", "desil_city"]),
        ]

    def __str__(self) -> str:
        return f"KK {self.kk_number}"


class KKNumber(models.Model):
    """One KK number a family has held, with the period it was valid."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="kk_history")
    kk_number = models.CharField(_("KK number"), max_length=16, db_index=True)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    area_scope = AreaScope(paths=("household__kelurahan",))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["household", "valid_from"]
        verbose_name = _("KK number history")
        verbose_name_plural = _("KK number history")

    def __str__(self) -> str:
        return self.kk_number


class Member(models.Model):
    """A person, identified by their NIK, with the individual variables of the Regsosek form
    (items 401–431). ``household`` is the family they belong to now; :class:`Membership` keeps
    every family they have belonged to, with dates.
    """

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    nik = models.CharField(_("NIK"), max_length=16, unique=True)
    # Search goes through name_key/name_key_rev (typo-tolerant), never the raw name: no index here, as
    # every index is one more write for each of a city's members at import.
    name = models.CharField(_("name"), max_length=120)
    # One index each (Meta.indexes): search reads them only by prefix (selectors._prefix_q).
    name_key = models.CharField(
        _("name key"),
        max_length=120,
        blank=True,
        help_text=_("Normalised name for typo-tolerant search (no titles, lower case)."),
    )
    name_key_rev = models.CharField(
        _("reversed name key"),
        max_length=120,
        blank=True,
        help_text=_("The name key backwards: finds a name whose first half has a typo."),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=c.Sex.choices)
    birth_date = models.DateField(_("birth date"))
    relationship = models.CharField(_("relationship to head"), max_length=1, choices=c.Relationship.choices)
    marital_status = _code(c.MaritalStatus, _("marital status"))
    pregnant = models.BooleanField(_("pregnant"), null=True, blank=True)
    # Education (412–415)
    school_participation = _code(c.SchoolParticipation, _("school participation"))
    school_level = _code(c.SchoolLevel, _("school level"))
    diploma = _code(c.Diploma, _("highest diploma"))
    # Work (416–420)
    worked = models.BooleanField(_("worked last week"), null=True, blank=True)
    work_hours = models.PositiveSmallIntegerField(
        _("hours worked last week"), null=True, blank=True, validators=[MaxValueValidator(168)]
    )
    industry = _code(c.Industry, _("industry"))
    employment_status = _code(c.EmploymentStatus, _("status in employment"))
    business_count = models.PositiveSmallIntegerField(_("own businesses"), null=True, blank=True)
    # Functional difficulty (428a–j), caregiver (429), chronic disease (430)
    difficulty_seeing = _code(c.Difficulty, _("difficulty seeing"))
    difficulty_hearing = _code(c.Difficulty, _("difficulty hearing"))
    difficulty_walking = _code(c.Difficulty, _("difficulty walking or climbing"))
    difficulty_hands = _code(c.Difficulty, _("difficulty using hands and fingers"))
    difficulty_learning = _code(c.Difficulty, _("difficulty learning"))
    difficulty_behaviour = _code(c.Difficulty, _("difficulty with behaviour"))
    difficulty_speaking = _code(c.Difficulty, _("difficulty speaking/communicating"))
    difficulty_selfcare = _code(c.Difficulty, _("difficulty with self-care"))
    difficulty_remembering = _code(c.Difficulty, _("difficulty remembering or concentrating"))
    difficulty_depression = _code(c.Difficulty, _("sadness/depression"))
    needs_caregiver = models.BooleanField(_("needs a caregiver"), null=True, blank=True)
    chronic_illness = _code(c.ChronicIllness, _("chronic illness"))
    # Insurance and schemes (431a–f)
    health_insurance = _code(c.HealthInsurance, _("health insurance"))
    receives_pip = models.BooleanField(_("PIP school aid"), null=True, blank=True)
    receives_prakerja = models.BooleanField(_("Kartu Prakerja"), null=True, blank=True)
    receives_kur = models.BooleanField(_("KUR credit"), null=True, blank=True)
    receives_umi = models.BooleanField(_("UMi credit"), null=True, blank=True)
    employment_insurance = models.BooleanField(_("employment social security"), null=True, blank=True)

    exited_on = models.DateField(
        _("left the family on"), null=True, blank=True, help_text=_("Set when the person died or left the city.")
    )
    exit_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
        help_text=_("Set when deduplication found this record to be another member's: a tombstone."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Every change sets it (services, import, merges): indexed, so the newest change is one lookup
    # (the change token of cached whole-registry reads, targeting.data.change_token).
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)

    area_scope = AreaScope(paths=("household__kelurahan",))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["household", "relationship", "birth_date"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        # Prefix search only. On PostgreSQL a pattern_ops index serves LIKE 'x%' (and equality), so
        # db_index's second, plain index was one more write per member at import for nothing;
        # SQLite ignores the operator class and builds its plain index, which its range scan uses.
        indexes = [
            models.Index(fields=["name_key"], name="member_name_key_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_key_rev"], name="member_name_key_rev_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)


class Membership(models.Model):
    """A period during which a person belonged to a family. Open (no end) for the current family."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    relationship = models.CharField(_("relationship to head"), max_length=1, choices=c.Relationship.choices)
    start_date = models.DateField(_("start"), default=timezone.localdate)
    end_date = models.DateField(_("end"), null=True, blank=True)

    area_scope = AreaScope(paths=("household__kelurahan",))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["member", "start_date"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(end_date__isnull=True), name="one_open_membership_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.household_id}"


class ProgrammeReceipt(models.Model):
    """A family reported receiving a programme in a month (Regsosek 501a–g): periods, not booleans."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="programme_receipts")
    programme = models.CharField(_("programme"), max_length=20, choices=c.Programme.choices)
    month = models.DateField(_("month"), help_text=_("First day of the month last received."))

    area_scope = AreaScope(paths=("household__kelurahan",))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["household", "programme", "month"]
        verbose_name = _("programme received")
        verbose_name_plural = _("programmes received")
        constraints = [
            models.UniqueConstraint(fields=["household", "programme", "month"], name="one_receipt_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.month:%Y-%m}"


class ChangeRequest(models.Model):
    """A change to a family that can alter its eligibility (a member added, removed or moved to another
    family, a new KK number, a correction of a member's details). One person asks, a second person
    approves (maker-checker); only then is the change applied. Each step is audited.
    """

    class Kind(models.TextChoices):
        ADD_MEMBER = "add_member", _("Add a member")
        REMOVE_MEMBER = "remove_member", _("Remove a member (died, left the city)")
        MOVE_MEMBER = "move_member", _("Move a member to another family")
        NEW_KK = "new_kk", _("New KK number")
        CORRECT_MEMBER = "correct_member", _("Correct a member's details")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPLIED = "applied", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="change_requests"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    payload = models.JSONField(_("details"), default=dict)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    # Requested by operators, decided by approvers: both see the requests of their areas.
    area_scope = AreaScope(
        paths=("household__kelurahan",),
        actions={
            "view": (Capability.CHANGE_REGISTRY, Capability.APPROVE_REGISTRY),
            "approve": (Capability.APPROVE_REGISTRY,),
        },
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · KK {self.household.kk_number}"
