"""Payees: the bank account a household's benefits are paid into, and the city's paying account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import AreaScope, ScopedQuerySet

from .rules import mask_account


class Payee(models.Model):
    """The bank account a household is paid into: bank (sandi bank), account number and the holder's
    name as the bank knows it, and the person paid when it is not the head of the family (a named
    payee: the mother, a guardian). One current account per household; a change ends the current row
    (``ended_at``) and adds a new one, so the history stays, and the audit trail records the change
    with the numbers masked."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="payees")
    member = models.ForeignKey(
        "registry.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("named payee"),
        help_text=_("The person paid, when not the head of the family."),
    )
    bank_code = models.CharField(_("bank code"), max_length=3)
    account_number = models.CharField(_("account number"), max_length=34)
    account_holder = models.CharField(_("account holder"), max_length=70)
    created_at = models.DateTimeField(_("entered"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=20, blank=True, help_text=_("page, import or migration"))
    ended_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    area_scope = AreaScope(
        paths=("household__kelurahan",),
        actions={
            "view": (Capability.VIEW_REGISTRY, Capability.MANAGE_PROGRAMMES, Capability.VIEW_AUDIT),
            "change": (Capability.MANAGE_PROGRAMMES,),
        },
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(ended_at__isnull=True), name="one_current_account_per_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_code} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return mask_account(self.account_number)


class PayingAccount(models.Model):
    """The city's account the payments leave from (the debtor of a pain.001 file), set by an
    administrator on the settings page. The latest row is the one in force; earlier rows are its
    history. With no row, the environment's ENTAS_PAYER_ACCOUNT / ENTAS_PAYER_NAME apply."""

    name = models.CharField(_("account name"), max_length=70)
    bank_code = models.CharField(_("bank code"), max_length=3, blank=True)
    account_number = models.CharField(_("account number"), max_length=34)
    set_at = models.DateTimeField(_("set"), default=timezone.now)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("paying account")
        verbose_name_plural = _("paying accounts")
        ordering = ["-set_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} {mask_account(self.account_number)}"
