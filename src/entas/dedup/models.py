"""Deduplication records: the trained linkage models, the runs, the candidate pairs with their
reviews, and the merges (reversible)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet


class LinkageModel(models.Model):
    """A trained splink model, versioned: its settings with every m and u probability, what it was
    trained on, and its match-weight chart. Every run names the model version it used."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    splink_model = models.JSONField(_("splink model"))
    training = models.JSONField(_("training summary"), default=dict)
    match_weights_chart = models.JSONField(_("match-weight chart"), default=dict)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trained by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("linkage model")
        verbose_name_plural = _("linkage models")

    def __str__(self) -> str:
        return f"linkage v{self.version}"


class DedupRun(models.Model):
    """One run of a linkage model over the registry or one kelurahan."""

    model = models.ForeignKey(LinkageModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="runs")
    kelurahan = models.ForeignKey(
        "regions.Region",
        verbose_name=_("kelurahan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole registry."),
    )
    review_threshold = models.FloatField(_("review threshold"))
    auto_link_threshold = models.FloatField(_("auto-link threshold"))
    members = models.PositiveIntegerField(_("members compared"), default=0)
    pairs = models.PositiveIntegerField(_("candidate pairs"), default=0)
    clusters = models.PositiveIntegerField(_("clusters"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("deduplication run")
        verbose_name_plural = _("deduplication runs")

    def __str__(self) -> str:
        return f"run {self.pk}"


class DuplicatePair(models.Model):
    """Two member records that may be one person, with the model's probability and, once a person
    has looked, their decision. ``member_l`` has the lower id."""

    class Decision(models.TextChoices):
        PENDING = "", _("not reviewed")
        SAME = "same", _("same person")
        DIFFERENT = "different", _("different people")
        UNSURE = "unsure", _("unsure")

    run = models.ForeignKey(DedupRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="pair_set")
    member_l = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+")
    member_r = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"))
    cluster = models.PositiveBigIntegerField(_("cluster"), db_index=True)
    comparison = models.JSONField(_("comparison"), default=dict)
    auto_link = models.BooleanField(_("above the auto-link threshold"), default=False)
    superseded = models.BooleanField(_("superseded by a later run"), default=False)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True, default="")
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    # A pair is seen, decided and merged only by someone whose areas hold both records.
    area_scope = AreaScope(
        paths=("member_l__household__kelurahan", "member_r__household__kelurahan"),
        actions={"view": (Capability.CHANGE_REGISTRY,), "approve": (Capability.APPROVE_REGISTRY,)},
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-probability", "pk"]
        verbose_name = _("candidate duplicate pair")
        verbose_name_plural = _("candidate duplicate pairs")
        constraints = [models.UniqueConstraint(fields=["run", "member_l", "member_r"], name="one_pair_per_run")]
        indexes = [models.Index(fields=["member_l", "member_r"])]

    def __str__(self) -> str:
        return f"{self.member_l_id} ~ {self.member_r_id} ({self.probability:.2f})"


class MemberMerge(models.Model):
    """One person's two records made one: ``merged`` becomes a tombstone pointing to ``survivor``.
    ``snapshot`` holds what the merge changed, so :func:`entas.dedup.services.unmerge` restores it."""

    survivor = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="merges_absorbed")
    pair = models.ForeignKey(DuplicatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges")
    household_kept = models.ForeignKey(
        "registry.Household", verbose_name=_("household kept"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    snapshot = models.JSONField(_("what the merge changed"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unmerged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unmerged_at = models.DateTimeField(_("unmerged at"), null=True, blank=True)

    area_scope = AreaScope(
        paths=("survivor__household__kelurahan", "merged__household__kelurahan"),
        actions={"view": (Capability.CHANGE_REGISTRY,), "approve": (Capability.APPROVE_REGISTRY,)},
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-merged_at", "-pk"]
        verbose_name = _("member merge")
        verbose_name_plural = _("member merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"
