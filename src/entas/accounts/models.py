from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Capability, Role, capabilities


class Opd(models.Model):
    """An Organisasi Perangkat Daerah: one of the city's agencies (Dinas Sosial, Disnaker, DKUMKMP,
    Bappeda Litbang, Dinas Kesehatan, Dinas Pendidikan…). Programmes have a lead OPD and partner OPDs
    (entas.policy); an officer belongs to one OPD and enters budget realisation for its activities only."""

    code = models.CharField(
        _("code"), max_length=20, unique=True, help_text=_("The usual short name, e.g. DINSOS, DISNAKER, BAPPEDA.")
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("OPD (regional agency)")
        verbose_name_plural = _("OPDs (regional agencies)")

    def __str__(self) -> str:
        return self.code


class User(AbstractUser):
    """A person who works in entas: a kelurahan operator, a Dinas Sosial manager, a TKPK analyst…

    The role says what they may do; the assigned areas say where. A user assigned to a kecamatan or
    to the city acts on every kelurahan inside it.
    """

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.OPERATOR)
    areas = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("areas"),
        blank=True,
        related_name="users",
        help_text=_("Regions this user works in; a region includes everything under it."),
    )
    organisation = models.CharField(
        _("organisation"), max_length=120, blank=True, help_text=_("OPD, kelurahan office or partner name.")
    )
    opd = models.ForeignKey(
        Opd,
        verbose_name=_("OPD"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        help_text=_("The agency the user works for: an OPD officer enters realisation for its activities only."),
    )
    is_service_account = models.BooleanField(
        _("service account"),
        default=False,
        help_text=_("An account for another system, not a person: it cannot log in and uses the API with tokens."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def can(self, capability: Capability | str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return Capability(capability) in capabilities(self.role)

    def capability_values(self) -> frozenset[str]:
        """The values of every capability the user holds (cached on the object for the request)."""
        cached: frozenset[str] | None = getattr(self, "_entas_capabilities", None)
        if cached is None:
            cached = frozenset(c.value for c in Capability if self.can(c))
            setattr(self, "_entas_capabilities", cached)  # noqa: B010  (a per-request cache on the user object)
        return cached

    @property
    def is_city_wide(self) -> bool:
        """Administrators see the whole installation regardless of assigned areas."""
        return self.is_superuser or self.role == Role.ADMIN


class ApiToken(models.Model):
    """A secret a machine client (another system, a script) sends as ``Authorization: Bearer …`` to
    use the API as its user: a person's own token, or a service account's.

    The token acts with its user's role and areas and never more: its scopes can only narrow what
    the user may do. Only a hash of the secret is stored (the token is shown once, when created);
    ``prefix`` finds the row without the secret. A token stops working when it expires, when it is
    revoked, or when its user is deactivated. See :mod:`entas.accounts.tokens` and docs/api.md.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the system that uses it.")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty: the installation's default.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"


class OAuthClient(models.Model):
    """Another system's OAuth 2.0 client (client-credentials grant, RFC 6749 §4.4): it proves who it
    is at ``/api/v1/oauth/token`` with a secret (kept as a SHA-256 hash, shown once) or with a JWT
    signed by its registered public keys (``private_key_jwt``, RFC 7523), and receives short-lived
    access tokens (JWTs signed by entas) that act as its service account, narrowed by its scopes.

    Like an :class:`ApiToken` it stops working when it expires, when it is revoked (its access tokens
    at once: every call looks the client up), or when its account is deactivated. See
    :mod:`entas.accounts.oauth` and docs/api.md.
    """

    user = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="oauth_clients")
    name = models.CharField(_("name"), max_length=100, help_text=_("The system that uses the client."))
    client_id = models.CharField(_("client id"), max_length=40, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, blank=True, editable=False)
    jwks = models.JSONField(_("public keys (JWKS)"), default=dict, blank=True)
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty: the installation's default.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("OAuth client")
        verbose_name_plural = _("OAuth clients")

    def __str__(self) -> str:
        return f"{self.client_id} ({self.name})"


class OAuthAssertion(models.Model):
    """A client's signed assertion (RFC 7523) already used at the token endpoint, kept by its ``jti``
    until it expires so that the same assertion is never accepted twice (a replay)."""

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="assertions")
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="oauth_assertion_once")]
        indexes = [models.Index(fields=["expires_at"], name="oauth_assertion_expiry")]

    def __str__(self) -> str:
        return self.jti
