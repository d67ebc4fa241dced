"""The citizen portal: complaints (and usul, sanggah) with their notes and attachments, and the log of
what unauthenticated visitors asked (abuse control and the audit of every status check)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from .choices import Category, Channel, Escalation, NoteKind, Severity, State, Unit


class Case(models.Model):
    """A complaint, a request to be registered (*usul*) or an objection (*sanggah*) from a citizen:
    filed on the public form, taken in by an officer for a walk-in or a telephone caller, or imported
    from SP4N-LAPOR!. The citizen follows it with a tracking code, of which only a keyed hash is kept.
    It lies in the kelurahan it concerns; service levels run in working days from submission."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    unit = models.CharField(_("handling unit"), max_length=10, choices=Unit.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.NEW, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    external_ref = models.CharField(_("external reference"), max_length=40, blank=True)
    kelurahan = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("kelurahan")
    )
    description = models.TextField(_("description"))
    contact_name = models.CharField(_("name"), max_length=120, blank=True)
    contact_phone = models.CharField(_("telephone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    spam = models.BooleanField(_("spam"), default=False)
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("duplicate of")
    )
    address_key = models.CharField(max_length=64, blank=True, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cycle = models.ForeignKey("programs.Cycle", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.ForeignKey("programs.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    first_response_due = models.DateField(_("first answer due"))
    resolution_due = models.DateField(_("resolution due"))
    first_response_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalation = models.PositiveSmallIntegerField(_("escalation"), choices=Escalation.choices, default=0)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    area_scope = AreaScope(
        paths=("kelurahan",),
        actions={
            "view": (Capability.HANDLE_GRIEVANCES, Capability.VIEW_AUDIT),
            "change": (Capability.HANDLE_GRIEVANCES,),
        },
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["state", "resolution_due"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in (State.NEW, State.IN_PROGRESS, State.WAITING)


class CaseNote(models.Model):
    """What an officer wrote on a case: an internal note (officers only) or a public answer (shown to
    whoever holds the tracking code)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=10, choices=NoteKind.choices)
    text = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    written_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class CaseAttachment(models.Model):
    """A photo or document handed in with a case, stored under MEDIA_ROOT/portal (outside the static
    files, never served directly): only an officer who may see the case downloads it, as an attachment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.CharField(max_length=255)  # relative to MEDIA_ROOT
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """One counted request of an unauthenticated visitor: a complaint filed, a code looked up, a cek
    bansos check. The address and any NIK are kept only as keyed hashes: enough to limit an address
    and to audit the checks, nothing to identify a person with."""

    action = models.CharField(max_length=24)
    address_key = models.CharField(max_length=64)
    subject_key = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["action", "address_key", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class VerificationTask(models.Model):
    """A resolved *sanggah* sends its household back to the field check: a task for the kelurahan's
    operator, open until the household is verified again after the task was opened (the registry's own
    verification, ``registry.verify_household``, or a musyawarah's decision through it). A household
    already ratified waits for the next update round."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="verification_task")
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    # The task names a household: the registry's people, in their areas.
    area_scope = AreaScope(
        paths=("household__kelurahan",),
        actions={
            "view": (Capability.VIEW_REGISTRY,),
            "change": (Capability.CHANGE_REGISTRY,),
        },
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("verification task")
        verbose_name_plural = _("verification tasks")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.household_id}"

    @property
    def done(self) -> bool:
        verified_at = self.household.verified_at
        return verified_at is not None and verified_at > self.opened_at


class Notification(models.Model):
    """A message to the citizen about their case (its new state, an answer to read), or to the
    supervisors when the case is escalated, through the sender configured for its channel
    (``ENTAS_PORTAL_NOTIFY_SENDERS``: e-mail through Django's mail backend, or the console log). Never
    holds the tracking code; kept as the log of what was sent."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=8)  # email, sms
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    event = models.CharField(_("event"), max_length=24)  # the step or "answer"
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    error = models.CharField(_("error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    area_scope = AreaScope(
        paths=("case__kelurahan",),
        actions={
            "view": (Capability.HANDLE_GRIEVANCES, Capability.VIEW_AUDIT),
            "change": (Capability.HANDLE_GRIEVANCES,),
        },
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel} {self.status}"
