"""Reads of payees, scoped to the user's areas (``Payee.objects.restrict``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in

from .models import Payee, PayingAccount

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


def may_set_account(user: User | None, household: Household) -> bool:
    """Whoever manages programmes in the household's kelurahan sets (and reveals) its account."""
    return user is not None and user.can(Capability.MANAGE_PROGRAMMES) and can_act_in(user, household.kelurahan)


def may_see_account(user: User, household: Household) -> bool:
    """Who sees a household's account, masked (the household itself already one of ``user``'s): whoever
    may set it, and whoever views the registry."""
    return may_set_account(user, household) or user.can(Capability.VIEW_REGISTRY)


def current_account(household: Household) -> Payee | None:
    """The household's current account (the page that asks is already kept to the user's areas)."""
    return (
        Payee.objects.filter(household=household, ended_at__isnull=True).select_related("member", "created_by").first()
    )


def account_history(household: Household) -> QuerySet[Payee]:
    """Every account the household had, newest first."""
    return Payee.objects.filter(household=household).select_related("created_by").order_by("-created_at", "-pk")


def payees_for(user: User, action: str = "view") -> QuerySet[Payee]:
    """The current accounts of the households of the user's areas."""
    return Payee.objects.restrict(user, action).filter(ended_at__isnull=True)


def accounts_of(households: Iterable[int]) -> dict[int, Payee]:
    """The current account of each of these households that has one (one query per 10,000)."""
    ids = list(households)
    out: dict[int, Payee] = {}
    for start in range(0, len(ids), 10_000):
        for payee in Payee.objects.filter(household_id__in=ids[start : start + 10_000], ended_at__isnull=True):
            out[payee.household_id] = payee
    return out


def person_names(household: Household, member: Member | None = None) -> tuple[str, ...]:
    """The names an account holder's name is compared with: the named payee's, else the head's (and
    the other adults', as a holder is often the spouse)."""
    from entas.registry.choices import Relationship

    if member is not None:
        return (member.name,)
    people = list(
        household.members.filter(exited_on__isnull=True)
        .order_by("relationship", "birth_date")
        .values_list("name", "relationship")
    )
    heads = [n for n, r in people if r == Relationship.HEAD]
    return tuple(heads + [n for n, r in people if r != Relationship.HEAD])


@dataclass(frozen=True)
class Payer:
    """The account payments leave from, and where it was set (``settings`` page, ``environment``, or
    nowhere: ``account_number`` empty)."""

    name: str
    account_number: str
    bank_code: str
    origin: str
    set_at: object = None
    set_by: str = ""

    @property
    def is_set(self) -> bool:
        return bool(self.account_number)


def paying_account() -> Payer:
    """The paying account in force: the one set on the settings page, else the environment's."""
    latest = PayingAccount.objects.select_related("set_by").first()
    if latest is not None:
        return Payer(
            latest.name,
            latest.account_number,
            latest.bank_code,
            "settings",
            latest.set_at,
            latest.set_by.username if latest.set_by else "",
        )
    account = getattr(settings, "ENTAS_PAYER_ACCOUNT", "")
    return Payer(getattr(settings, "ENTAS_PAYER_NAME", ""), account, "", "environment" if account else "", None, "")
