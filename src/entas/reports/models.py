"""Official reports (entas.reports): the LP2KD, the RPKD data chapters, the quarterly extreme-poverty
report and programme reports, generated from the live data as saved, versioned objects. See
docs/reports.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

# The reports are the city's (aggregates of the whole city), not an area's: who sees them is a matter
# of role.
REPORT_ACTIONS = {
    "view": (Capability.VIEW_REPORTS, Capability.EDIT_REPORTS),
    "edit": (Capability.EDIT_REPORTS,),
}


class FinalVersionError(Exception):
    """A final report version was about to be changed or deleted (a programming error: services refuse first)."""


class ReportKind(models.TextChoices):
    LP2KD = "lp2kd", _("LP2KD (annual implementation report)")
    RPKD_PROFILE = "rpkd_profile", _("RPKD data chapters (poverty profile)")
    EXTREME_POVERTY = "extreme_poverty", _("Quarterly extreme-poverty report")
    PROGRAMME = "programme", _("Programme report")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")


class Report(models.Model):
    """One official report of a kind for a period (a year, a quarter; a programme for a programme
    report). Its content lives in its versions: each generation from the data is a new version, the
    last one a draft until a checker finalises it."""

    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), null=True, blank=True)
    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("programme"), null=True, blank=True, on_delete=models.PROTECT
    )
    sections = models.JSONField(
        _("sections"), default=list, blank=True, help_text=_("The LP2KD's sections in their order (empty: all).")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    area_scope = AreaScope(paths=(), actions=REPORT_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-quarter", "kind", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        period = f"{self.year}" + (f" Q{self.quarter}" if self.quarter else "")
        name = f" {self.programme.name}" if self.programme_id and self.programme else ""
        return f"{self.get_kind_display()} {period}{name}"


class ReportVersion(models.Model):
    """One generation of a report: the document built from the data as of ``snapshot`` (its tables and
    figures, stored so that they never change afterwards), the inputs it read, the narrative written
    for it, and — once final — the archived files with their SHA-256. A final version is never
    changed; a new generation is a new version."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    snapshot = models.DateField(_("data as of"))
    document = models.JSONField(_("document"))
    inputs = models.JSONField(_("inputs"), default=list)
    narrative = models.JSONField(_("narrative"), default=dict, blank=True)
    changes = models.JSONField(_("changes since the previous version"), default=list, blank=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(_("narrative edited"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finalised_at = models.DateTimeField(_("finalised"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/", blank=True)
    docx = models.FileField(_("DOCX"), upload_to="reports/", blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to="reports/", blank=True)
    digests = models.JSONField(_("SHA-256 of the archived files"), default=dict, blank=True)

    area_scope = AreaScope(paths=(), actions=REPORT_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="one_report_version_number")]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        """A final version is archived: saving it again is refused (the database keeps what was signed)."""
        if self.pk and ReportVersion.objects.filter(pk=self.pk, status=VersionStatus.FINAL).exists():
            raise FinalVersionError(f"report version {self.pk} is final and cannot change")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        if self.is_final:
            raise FinalVersionError(f"report version {self.pk} is final and cannot be deleted")
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_final(self) -> bool:
        return self.status == VersionStatus.FINAL

    def makers(self) -> set[int]:
        """Who made this version (generated it or wrote its narrative): none of them may finalise it."""
        return {pk for pk in (self.generated_by_id, self.edited_by_id) if pk is not None}
