"""A household's bank account over the API, with the checks of the household page's section: read
(masked) by whoever may see the household and either views the registry or manages programmes in
its kelurahan; set by whoever manages programmes there, through :func:`.services.set_account` (the
bank's rules, the old account kept as history, audited with the numbers masked). A full account
number is never answered here: revealing it is a recorded step of the page."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.registry import selectors as registry
from entas.registry import services as registry_services
from entas.registry.models import Household

from . import banks, selectors, services
from .models import Payee

router = Router(
    tags=["payees"],
    auth=RoleAuth((Capability.MANAGE_PROGRAMMES, Capability.VIEW_REGISTRY), (Capability.MANAGE_PROGRAMMES,)),
)


class AccountOut(Schema):
    bank_code: str
    bank: str
    account_number_masked: str
    account_holder: str
    member_id: int | None  # the named payee; none: the head of the family
    entered_at: dt.datetime


class HouseholdAccountOut(Schema):
    household_id: int
    account: AccountOut | None  # none: bank files leave the family out until one is entered


class AccountIn(Schema):
    bank_code: str
    account_number: str
    account_holder: str
    member_id: int | None = None


class IssueOut(Schema):
    field: str
    message: str


class AccountSetOut(HouseholdAccountOut):
    outcome: str  # inserted, updated or unchanged
    warnings: list[IssueOut]


def _household(request: HttpRequest, household_id: int) -> tuple[User, Household]:
    user = request.user
    assert isinstance(user, User)
    try:
        return user, registry.household_for(user, household_id)
    except Household.DoesNotExist:
        raise Http404 from None  # outside the caller's areas, or none: the same answer


def _account(payee: Payee | None) -> AccountOut | None:
    if payee is None:
        return None
    bank = banks.bank(payee.bank_code)
    return AccountOut(
        bank_code=payee.bank_code,
        bank=bank.name if bank is not None else "",
        account_number_masked=payee.masked_number,
        account_holder=payee.account_holder,
        member_id=payee.member_id,
        entered_at=payee.created_at,
    )


@router.get("/{household_id}/account", response=HouseholdAccountOut)
def get_account(request: HttpRequest, household_id: int) -> HouseholdAccountOut:
    """The household's current account, its number masked. 404 outside the caller's areas. Audited as
    a view of the household."""
    user, household = _household(request, household_id)
    if not selectors.may_see_account(user, household):
        raise HttpError(403, "forbidden")
    registry_services.record_household_view(actor=user, household=household)
    return HouseholdAccountOut(household_id=household.pk, account=_account(selectors.current_account(household)))


@router.post("/{household_id}/account", response=AccountSetOut)
def set_account(request: HttpRequest, household_id: int, payload: AccountIn) -> AccountSetOut:
    """Set the household's account (the previous one is kept as history). An account that fails the
    bank's rules is refused with every problem; a holder's name unlike the family's is a warning."""
    user, household = _household(request, household_id)
    member = None
    if payload.member_id is not None:
        member = next((m for m in registry.members_of(household) if m.pk == payload.member_id), None)
        if member is None:
            raise Refused(_("The named payee is not a member of this family."), code="invalid")
    change = services.set_account(
        household=household,
        bank_code=payload.bank_code.strip(),
        account_number=payload.account_number,
        account_holder=payload.account_holder,
        member=member,
        actor=user,
        source="api",
    )
    return AccountSetOut(
        household_id=household.pk,
        account=_account(change.payee),
        outcome=change.outcome,
        warnings=[IssueOut(field=w.field, message=w.message) for w in change.warnings],
    )
