from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Relationship, Sex


class Household(models.Model):
    """A family as listed on one Kartu Keluarga (KK), living in one kelurahan.

    The KK number is an attribute, not an identity: Dukcapil issues a new number whenever the
    family changes (a move, the head's death, a divorce), while the family persists.
    """

    kk_number = models.CharField(_("KK number"), max_length=16, db_index=True)
    kelurahan = models.ForeignKey(
        "regions.Region", verbose_name=_("kelurahan"), on_delete=models.PROTECT, related_name="households"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["kelurahan__code", "rt", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["kelurahan", "rt"])]

    def __str__(self) -> str:
        return f"KK {self.kk_number}"


class Member(models.Model):
    """A person listed on a family's KK, identified by their NIK."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    nik = models.CharField(_("NIK"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    relationship = models.CharField(_("relationship to head"), max_length=1, choices=Relationship.choices)

    class Meta:
        ordering = ["household", "relationship", "birth_date"]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return self.name

    @property
    def masked_nik(self) -> str:
        """The NIK with its birth date and serial hidden: region prefix and last 2 digits stay."""
        return self.nik[:6] + "•" * 8 + self.nik[-2:]
