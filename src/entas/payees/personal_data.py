"""What payees holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "payees.payee",
    _("Bank accounts the family is paid into"),
    "payees.Payee",
    household="household",
    member="member",
    fields=["bank_code", "account_number", "account_holder", "source", "created_at", "ended_at"],
    order=25,
)
