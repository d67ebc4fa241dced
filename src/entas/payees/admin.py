"""Read-only registrations: the admin changes nothing (writes go through the services, audited)."""

from __future__ import annotations

from django.contrib import admin

from entas.core.admin import ReadOnlyAdmin

from .models import Payee, PayingAccount


@admin.register(Payee)
class PayeeAdmin(ReadOnlyAdmin):
    list_display = ("household", "bank_code", "masked_number", "created_at", "ended_at")
    exclude = ("account_number",)  # personal data: shown masked, revealed on the household page (audited)


@admin.register(PayingAccount)
class PayingAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "bank_code", "account_number", "set_at", "set_by")
