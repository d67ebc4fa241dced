"""The payees' part of a household's page: its bank account (masked), and a form to set it for
whoever manages programmes in the household's kelurahan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.registry.household_page import contribute

from . import selectors
from .forms import AccountForm

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@contribute("payees.account", order=15, template="payees/_household_account.html")
def account(user: User, household: Household, members: list[Member]) -> dict[str, Any] | None:
    if not selectors.may_see_account(user, household):
        return None
    manages = selectors.may_set_account(user, household)
    payee = selectors.current_account(household)
    form = None
    if manages:
        initial = (
            {
                "bank_code": payee.bank_code,
                "account_holder": payee.account_holder,
                "member": payee.member_id or "",
            }
            if payee
            else {}
        )
        form = AccountForm(initial=initial, members=members, prefix="payee")
    return {"household": household, "payee": payee, "manages": manages, "form": form}
