from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    REGENCY_CITY = 2, _("Kabupaten/Kota")
    KECAMATAN = 3, _("Kecamatan")
    KELURAHAN = 4, _("Kelurahan/Desa")


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, code: str) -> RegionQuerySet:
        """This region and everything under it (codes nest: 64.71 ⊃ 64.71.01 ⊃ 64.71.01.1001)."""
        return self.filter(models.Q(code=code) | models.Q(code__startswith=code + "."))

    def kelurahan(self) -> RegionQuerySet:
        return self.filter(level=RegionLevel.KELURAHAN)

    def kecamatan(self) -> RegionQuerySet:
        return self.filter(level=RegionLevel.KECAMATAN)


class Region(models.Model):
    """An administrative area of the Kemendagri hierarchy: province › kabupaten/kota › kecamatan ›
    kelurahan/desa, keyed by its Kemendagri code (``64.71.01.1001`` is Kelurahan Manggar). The BPS
    code is kept beside it because BPS numbers areas differently and surveys and DTSEN use it.
    Codes change when an area is split, so every row has validity dates and predecessors.
    """

    code = models.CharField(_("Kemendagri code"), max_length=13, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    bps_code = models.CharField(_("BPS code"), max_length=10, blank=True, db_index=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    centroid_lng = models.FloatField(_("centroid longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    area_confirmed = models.BooleanField(
        _("area confirmed"), default=False, help_text=_("False when the area figure has no reliable source.")
    )
    aliases = models.JSONField(_("aliases"), default=list, blank=True, help_text=_("Other spellings, for matching."))
    boundary = models.JSONField(_("boundary"), null=True, blank=True, help_text=_("GeoJSON geometry (WGS 84)."))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    predecessors = models.ManyToManyField(
        "self", verbose_name=_("predecessors"), symmetrical=False, blank=True, related_name="successors"
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @property
    def kind(self) -> str:
        """kabupaten or kota; kelurahan or desa; read off the code as Kemendagri assigns it."""
        parts = self.code.split(".")
        if self.level == RegionLevel.REGENCY_CITY:
            return "kota" if int(parts[1]) >= 71 else "kabupaten"
        if self.level == RegionLevel.KELURAHAN:
            return "kelurahan" if parts[3].startswith("1") else "desa"
        return {RegionLevel.PROVINCE: "provinsi", RegionLevel.KECAMATAN: "kecamatan"}[RegionLevel(self.level)]

    def get_kind_display(self) -> str:
        return {
            "provinsi": "Provinsi",
            "kabupaten": "Kabupaten",
            "kota": "Kota",
            "kecamatan": "Kecamatan",
            "kelurahan": "Kelurahan",
            "desa": "Desa",
        }[self.kind]
