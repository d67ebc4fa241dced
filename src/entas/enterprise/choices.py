"""The choices of economic empowerment, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class GroupType(models.TextChoices):
    KUBE = "kube", _("KUBE (joint business group)")
    UMKM = "umkm", _("Micro-enterprise (UMKM)")
    FARMERS = "tani", _("Farmer group (kelompok tani)")
    FISHERS = "nelayan", _("Fisher group (kelompok nelayan)")
    COOPERATIVE = "koperasi", _("Cooperative")
    WOMEN = "perempuan", _("Women's group")


class Role(models.TextChoices):
    CHAIR = "chair", _("Chair")
    TREASURER = "treasurer", _("Treasurer")
    MEMBER = "member", _("Member")


class GrantKind(models.TextChoices):
    CASH = "cash", _("Cash")
    EQUIPMENT = "equipment", _("Equipment")


class Method(models.TextChoices):
    FLAT = "flat", _("Flat rate")
    DECLINING = "declining", _("Declining balance")


class Period(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class EventKind(models.TextChoices):
    BAZAAR = "bazaar", _("Bazaar")
    EXHIBITION = "exhibition", _("Exhibition")
    MARKETPLACE = "marketplace", _("Marketplace onboarding")


class Certificate(models.TextChoices):
    HALAL = "halal", _("Halal certificate")
    PIRT = "pirt", _("PIRT (home food industry permit)")
    HAKI = "haki", _("HAKI (intellectual property)")
    BPOM = "bpom", _("BPOM registration")


class Scheme(models.TextChoices):
    KUR = "kur", _("KUR (people's business credit)")
    UMI = "umi", _("UMi (ultra-micro credit)")
