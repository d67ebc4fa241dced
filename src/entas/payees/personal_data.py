"""What payees holds about a person, for the access report (entas.core.personaldata)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import ANONYMISED_NAME, model_provider, purger

model_provider(
    "payees.payee",
    _("Bank accounts the family is paid into"),
    "payees.Payee",
    household="household",
    member="member",
    fields=["bank_code", "account_number", "account_holder", "source", "created_at", "ended_at"],
    order=25,
)


@purger("payees.payee", order=10)
def _purge_accounts(before: dt.date, dry_run: bool) -> dict[str, int]:
    """The bank accounts of families whose members have all left past the retention period: number and
    holder replaced (the rows, and the payments that name them, stay)."""
    from entas.registry.privacy import households_leaving

    from .models import Payee

    accounts = Payee.objects.filter(household__in=households_leaving(before)).exclude(account_holder=ANONYMISED_NAME)
    n = accounts.count() if dry_run else accounts.update(account_number="", account_holder=ANONYMISED_NAME)
    return {"payees.payee_anonymised": n}
