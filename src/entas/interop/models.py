"""The city registry's exchanges with other systems: the DCI social-registry interface (its signing
keys, the systems that call it, their transactions and subscriptions) and the national exchanges
(SIKS-NG export, DTSEN import, Dukcapil NIK checks, bank statements)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

# Registering systems and keys is the city's settings; the exchanges with the nation are Dinsos's.
SETTINGS_ACTIONS = {"view": (Capability.MANAGE_SETTINGS,), "change": (Capability.MANAGE_SETTINGS,)}
EXCHANGE_ACTIONS = {
    "view": (Capability.APPROVE_REGISTRY, Capability.VIEW_AUDIT),
    "change": (Capability.APPROVE_REGISTRY,),
}


class SigningKey(models.Model):
    """A key pair this registry signs its DCI messages and access tokens with. Only the public half is
    in the database (published at ``/dci/.well-known/jwks.json``); the private half is a PEM file in
    ``ENTAS_DCI_KEY_DIR``, encrypted, outside the database and outside git. Rotation retires the
    active key (still published, so that what it signed can be checked) and makes a new one."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    class Use(models.TextChoices):
        SIGNATURE = "sig", _("Signature")
        ENCRYPTION = "enc", _("Encryption")

    kid = models.CharField(_("key id"), max_length=100, unique=True, help_text=_("RFC 7638 thumbprint."))
    alg = models.CharField(_("algorithm"), max_length=20, default="ES256")
    use = models.CharField(
        _("use"),
        max_length=3,
        choices=Use.choices,
        default=Use.SIGNATURE,
        help_text=_("Signing our messages and tokens, or decrypting the messages encrypted to us (JWE)."),
    )
    public_jwk = models.JSONField(_("public key (JWK)"))
    private_file = models.CharField(_("private key file"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    area_scope = AreaScope(paths=(), actions=SETTINGS_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return self.kid


class CallerSystem(models.Model):
    """Another system allowed to query the registry over DCI (a social-protection MIS, a ministry's
    system). It is registered with its DCI ``sender_id``, its client credentials (the secret stored
    hashed), its public keys (a JWKS URL or the keys themselves) and where callbacks go. It acts as
    its **service user**: that user's role and areas bound what it may read, and every read is
    audited in that user's name."""

    sender_id = models.CharField(_("DCI sender id"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    service_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("service user"), on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    client_secret_hash = models.CharField(_("client secret (hashed)"), max_length=200)
    jwks_url = models.URLField(_("JWKS URL"), blank=True)
    jwks = models.JSONField(_("public keys (JWKS)"), default=dict, blank=True)
    jwks_fetched_at = models.DateTimeField(_("keys fetched at"), null=True, blank=True)
    callback_url = models.URLField(
        _("callback base URL"), blank=True, help_text=_("Where /registry/on-search and the others are sent.")
    )
    require_signature = models.BooleanField(_("require signed messages"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    area_scope = AreaScope(paths=(), actions=SETTINGS_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("caller system")
        verbose_name_plural = _("caller systems")

    def __str__(self) -> str:
        return self.name


class Transaction(models.Model):
    """One DCI message received from a caller system (a search, a status request, a (un)subscribe),
    kept with what was answered: ``transaction_id`` is the caller's and unique per caller, so that a
    message sent twice is answered the same way (idempotency) and its status can be asked."""

    class Status(models.TextChoices):
        RECEIVED = "rcvd", _("Received")
        PENDING = "pdng", _("Pending")
        SUCCEEDED = "succ", _("Succeeded")
        REJECTED = "rjct", _("Rejected")

    caller = models.ForeignKey(CallerSystem, on_delete=models.PROTECT, related_name="transactions")
    transaction_id = models.CharField(_("transaction id"), max_length=99)
    correlation_id = models.CharField(_("correlation id"), max_length=99, unique=True)
    message_id = models.CharField(_("message id"), max_length=99)
    action = models.CharField(_("action"), max_length=20)
    synchronous = models.BooleanField(_("synchronous"), default=False)
    digest = models.CharField(_("request digest"), max_length=64)
    reference_ids = models.JSONField(_("reference ids"), default=list)
    request = models.JSONField(_("request message"), default=dict)
    sender_uri = models.CharField(_("callback URI"), max_length=300, blank=True)
    encrypted = models.BooleanField(
        _("encrypted"), default=False, help_text=_("The request came encrypted (JWE): the answer goes back encrypted.")
    )
    status = models.CharField(_("status"), max_length=4, choices=Status.choices, default=Status.RECEIVED)
    response = models.JSONField(_("response message"), null=True, blank=True)
    ack = models.JSONField(_("acknowledgement"), null=True, blank=True)
    callback_status = models.CharField(_("callback"), max_length=200, blank=True)
    callback_attempts = models.PositiveSmallIntegerField(_("callback attempts"), default=0)
    callback_next_at = models.DateTimeField(
        _("next callback attempt"), null=True, blank=True, help_text=_("Empty once delivered or given up.")
    )
    callback_delivered_at = models.DateTimeField(_("callback delivered"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    area_scope = AreaScope(paths=(), actions=SETTINGS_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("DCI transaction")
        verbose_name_plural = _("DCI transactions")
        constraints = [
            models.UniqueConstraint(fields=["caller", "transaction_id"], name="interop_one_transaction_id_per_caller")
        ]
        indexes = [models.Index(fields=["callback_next_at"], name="interop_dci_callback_due")]

    def __str__(self) -> str:
        return f"{self.caller.sender_id} {self.action} {self.transaction_id}"


class Subscription(models.Model):
    """A caller system's subscription to changes of the registry (DCI subscribe): households matching
    its filter that are registered or change are sent to its /registry/notify."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribe", _("Subscribed")
        UNSUBSCRIBED = "unsubscribe", _("Unsubscribed")

    caller = models.ForeignKey(CallerSystem, on_delete=models.PROTECT, related_name="subscriptions")
    code = models.CharField(_("subscription code"), max_length=99, unique=True)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="subscriptions")
    reference_id = models.CharField(_("reference id"), max_length=99)
    criteria = models.JSONField(_("criteria"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBSCRIBED)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    notified_until = models.DateTimeField(_("notified up to"), default=timezone.now)
    notifications = models.PositiveIntegerField(_("notifications sent"), default=0)

    area_scope = AreaScope(paths=(), actions=SETTINGS_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("DCI subscription")
        verbose_name_plural = _("DCI subscriptions")

    def __str__(self) -> str:
        return self.code


class Exchange(models.Model):
    """A file exchanged with a national system or a bank: a SIKS-NG export of a period (with its
    berita acara), a DTSEN file imported, a Dukcapil NIK batch, a bank statement; with its counts."""

    class Kind(models.TextChoices):
        SIKS_EXPORT = "siks_export", _("SIKS-NG export")
        DTSEN_IMPORT = "dtsen_import", _("DTSEN import")
        NIK_BATCH = "nik_batch", _("Dukcapil NIK batch")
        BANK_STATEMENT = "bank_statement", _("Bank statement (camt.053, MT940)")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=7, blank=True)
    berita_acara = models.CharField(_("berita acara"), max_length=120, blank=True)
    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    counts = models.JSONField(_("counts"), default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text=_("Holds the file.")
    )

    area_scope = AreaScope(paths=(), actions=EXCHANGE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"


class NationalRecord(models.Model):
    """One family of a DTSEN file as the nation has it (desil and status), kept to compare with the
    city's registry; ``household`` is the city's family with that KK number, when there is one."""

    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="national_records")
    row = models.PositiveIntegerField(_("row"))
    kk_number = models.CharField(_("KK number"), max_length=16)
    head_nik = models.CharField(_("head's NIK"), max_length=16, blank=True)
    desil = models.PositiveSmallIntegerField(_("national desil"), null=True, blank=True)
    dtsen_status = models.CharField(_("DTSEN status"), max_length=20, blank=True)
    members = models.PositiveSmallIntegerField(_("members"), null=True, blank=True)
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    area_scope = AreaScope(paths=("household__kelurahan",), actions=EXCHANGE_ACTIONS)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["exchange", "row"]
        verbose_name = _("national record")
        verbose_name_plural = _("national records")

    def __str__(self) -> str:
        return self.kk_number
