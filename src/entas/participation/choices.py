"""Categorical values of community participation, with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ForumKind(models.TextChoices):
    """The forums the city holds with its residents: the musyawarah kelurahan on the registry's list,
    and the stages of the Musrenbang (development planning deliberation), lowest first."""

    MUSYAWARAH = "musyawarah", _("Musyawarah kelurahan (registry list)")
    REMBUG_WARGA = "rembug_warga", _("Rembug warga / pra-musrenbang RT/RW")
    MUSRENBANG_KELURAHAN = "musrenbang_kelurahan", _("Musrenbang kelurahan")
    MUSRENBANG_KECAMATAN = "musrenbang_kecamatan", _("Musrenbang kecamatan")
    FORUM_PD = "forum_pd", _("Forum perangkat daerah")
    MUSRENBANG_KOTA = "musrenbang_kota", _("Musrenbang kota")


class AttendeeGroup(models.TextChoices):
    OFFICIALS = "officials", _("Officials")
    RT_RW = "rt_rw", _("RT/RW heads")
    FIGURES = "figures", _("Community figures")
    RESIDENTS = "residents", _("Residents")


class Decision(models.TextChoices):
    """A musyawarah's decision on one household of a list."""

    ADD = "add", _("Add to the list")
    REMOVE = "remove", _("Remove from the list")
    KEEP = "keep", _("Keep on the list")


class Verification(models.TextChoices):
    """What a decision on the registry list did to the household's verification."""

    APPLIED = "applied", _("Applied to the verification")
    RATIFIED = "ratified", _("Already ratified: for the next update")
    RULE = "rule", _("A rule's list only")


# The stages of the Musrenbang, lowest first (a proposal moves up them).
STAGES = (
    ForumKind.REMBUG_WARGA,
    ForumKind.MUSRENBANG_KELURAHAN,
    ForumKind.MUSRENBANG_KECAMATAN,
    ForumKind.FORUM_PD,
    ForumKind.MUSRENBANG_KOTA,
)


class ProposalCategory(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Infrastructure (roads, drains, water)")
    HOUSING = "housing", _("Housing (RTLH)")
    ECONOMY = "economy", _("Economy and livelihoods")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health and nutrition")
    SOCIAL = "social", _("Social protection")
    ENVIRONMENT = "environment", _("Environment and sanitation")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    MERGED = "merged", _("Merged into another proposal")
    REJECTED = "rejected", _("Rejected")
    FUNDED = "funded", _("Funded")


class Outcome(models.TextChoices):
    """What a Musrenbang forum decided on a proposal."""

    ACCEPTED = "accepted", _("Accepted: goes up")
    MERGED = "merged", _("Merged into another proposal")
    REJECTED = "rejected", _("Rejected")


class PartnerKind(models.TextChoices):
    NGO = "ngo", _("NGO")
    CSR = "csr", _("Company (CSR/TJSL)")
    UNIVERSITY = "university", _("University")
    FAITH = "faith", _("Faith-based organisation")
    BANK = "bank", _("Bank")


class AgreementKind(models.TextChoices):
    MOU = "mou", _("MoU (memorandum of understanding)")
    PKS = "pks", _("PKS (cooperation agreement)")


class ContributionKind(models.TextChoices):
    CASH = "cash", _("Cash")
    IN_KIND = "in_kind", _("In kind (items with value)")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")
    TRAINING_PLACES = "training_places", _("Trainers or training places")
