"""Saved evaluations and simulated scenarios: the evidence a policy adjustment can cite."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

# City-wide aggregates, scoped by role alone: whoever sees city-wide analytics reads them; the TKPK
# (who edits the policy register, and cites them in adjustments) runs and saves them.
EVALUATION_ACTIONS = {
    "view": (Capability.VIEW_ANALYTICS, Capability.EDIT_POLICY),
    "change": (Capability.EDIT_POLICY,),
}


class Evaluation(models.Model):
    """A saved impact evaluation: what was estimated (the method and its specification, the data it
    ran on and the date of that data), and the result with its uncertainty and diagnostics, as the
    estimator returned it. Never changed once saved: a new run is a new evaluation."""

    class Method(models.TextChoices):
        DID = "did", _("Difference-in-differences")
        RD = "rd", _("Regression discontinuity")
        PSM = "psm", _("Matching / weighting on the propensity score")
        BEFORE_AFTER = "before_after", _("Before/after with a comparison group (not causal)")

    title = models.CharField(_("title"), max_length=200)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    specification = models.JSONField(_("specification"))
    source = models.CharField(_("data"), max_length=300)
    snapshot_date = models.DateField(_("data as of"))
    result = models.JSONField(_("result"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("run at"), default=timezone.now)

    area_scope = AreaScope(paths=(), actions=EVALUATION_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        """How an adjustment's evidence cites it."""
        return f"evaluation:{self.pk}"


class Scenario(models.Model):
    """A simulated change of a programme (its rule, benefit formula, budget or target kelurahan) with
    its figures and the status quo's, computed on the registry and the survey of the given year. It
    may be promoted to an adjustment proposal of the programme in the policy register."""

    title = models.CharField(_("title"), max_length=200)
    programme = models.ForeignKey(
        "programs.Programme",
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scenarios",
    )
    specification = models.JSONField(_("specification"))
    result = models.JSONField(_("result"))
    status_quo = models.JSONField(_("status quo"), null=True, blank=True)
    survey = models.CharField(_("survey"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("simulated by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("simulated at"), default=timezone.now)
    adjustment = models.ForeignKey(
        "policy.Adjustment",
        verbose_name=_("adjustment proposed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    area_scope = AreaScope(paths=(), actions=EVALUATION_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        return f"scenario:{self.pk}"
