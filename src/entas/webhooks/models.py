"""Webhook subscriptions and their deliveries (docs/webhooks.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

# Subscriptions are the city's, managed by its administrators: scoped by role alone.
WEBHOOK_ACTIONS = {"view": (Capability.MANAGE_USERS,), "manage": (Capability.MANAGE_USERS,)}


class Subscription(models.Model):
    """Another system's URL that is told (a signed POST) when one of ``events`` happens.

    It acts as its ``owner`` (a service account, usually): an event is delivered only when the owner
    may read the changed row through the row's own area scope (its role and areas), checked when the
    event happens. The ``secret`` signs every delivery (HMAC-SHA256); it is shown once, at creation
    or rotation. Unlike a token it cannot be kept hashed: signing needs the secret itself.
    """

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80, editable=False)
    # After a rotation the replaced secret still signs (beside the new one) until ``previous_until``:
    # the receiver switches to the new secret within that window without missing a message.
    previous_secret = models.CharField(max_length=80, blank=True, editable=False)
    previous_until = models.DateTimeField(_("previous secret signs until"), null=True, blank=True)
    secret_rotated_at = models.DateTimeField(_("secret rotated"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)

    area_scope = AreaScope(paths=(), actions=WEBHOOK_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class Delivery(models.Model):
    """One event for one subscription: its body (signed anew at each attempt), and the log of its
    attempts. Pending until a 2xx answer; retried with exponential back-off; failed after the last."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    event_id = models.CharField(max_length=40, unique=True)
    body = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    area_scope = AreaScope(paths=(), actions=WEBHOOK_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"
