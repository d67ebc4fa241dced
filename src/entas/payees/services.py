"""Writes of payees: a household's account (entered on its page or imported), revealing it, and the
city's paying account. Every write is audited with the account numbers masked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.context import channel, client_ip, os_user
from entas.core.errors import Problem, Refused
from entas.core.models import AuditEvent
from entas.core.services import service

from . import banks, rules, selectors
from .models import Payee, PayingAccount

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household, Member


@dataclass
class AccountChange:
    """What setting an account did: ``inserted``, ``updated`` or ``unchanged``, with any warnings."""

    payee: Payee
    outcome: str
    warnings: list[Problem] = field(default_factory=list)


def _masked(payee: Payee | None) -> dict[str, Any] | None:
    if payee is None:
        return None
    return {
        "bank_code": payee.bank_code,
        "account_number": payee.masked_number,
        "account_holder": payee.account_holder,
        "member": payee.member_id,
    }


def check(
    *, household: Household, bank_code: str, account_number: str, account_holder: str, member: Member | None = None
) -> rules.AccountCheck:
    """The rules' verdict on an account for this household (the holder compared with the payee)."""
    return rules.check_account(
        rules.AccountFacts(
            bank_code=bank_code,
            bank=banks.bank(bank_code),
            account_number=account_number,
            account_holder=account_holder,
            person_names=selectors.person_names(household, member),
        )
    )


def same_account(current: Payee | None, bank_code: str, verdict: rules.AccountCheck, member_id: int | None) -> bool:
    return (
        current is not None
        and current.bank_code == bank_code
        and current.account_number == verdict.account_number
        and current.account_holder == verdict.account_holder
        and current.member_id == member_id
    )


def replace_accounts(
    rows: list[tuple[Household, Payee | None, Payee]], *, actor: User | None, source: str, note: str = ""
) -> None:
    """End each current account and keep its replacement, with one audit event each (before/after
    masked). Set-based: one update, one insert and one insert of audit events for the whole list."""
    now = timezone.now()
    ended = [current.pk for _h, current, _new in rows if current is not None]
    if ended:
        Payee.objects.filter(pk__in=ended).update(ended_at=now)
    for _h, _current, new in rows:
        new.created_at = now
        new.created_by = actor if actor is not None and actor.is_authenticated else None
        new.source = source
    created = Payee.objects.bulk_create([new for _h, _c, new in rows])
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=new.created_by,
                action="payee.change" if current is not None else "payee.add",
                object_type="registry.household",
                object_id=str(household.pk),
                object_repr=f"KK {household.kk_number}"[:200],
                region_code=household.kelurahan.code,
                before=_masked(current),
                after=_masked(new),
                client_ip=client_ip.get(),
                channel=channel.get(),
                os_user=os_user.get(),
                note=note,
            )
            for (household, current, _n), new in zip(rows, created, strict=True)
        ]
    )


@service
def set_account(
    *,
    household: Household,
    bank_code: str,
    account_number: str,
    account_holder: str,
    member: Member | None = None,
    actor: User,
    source: str = "page",
) -> AccountChange:
    """Set a household's account (a new one, or a change: the old one is kept as history). Refused
    with every problem when the account fails the bank's rules; a holder's name unlike the payee's is
    a warning the caller shows."""
    if not selectors.may_set_account(actor, household):
        raise Refused(_("You may not set bank accounts of this kelurahan."), code="forbidden")
    if member is not None and member.household_id != household.pk:
        raise Refused(_("The named payee is not a member of this family."), code="invalid")
    verdict = check(
        household=household,
        bank_code=bank_code,
        account_number=account_number,
        account_holder=account_holder,
        member=member,
    )
    if not verdict.ok:
        raise Refused(" ".join(p.message for p in verdict.errors), code="invalid", issues=verdict.errors)
    current = Payee.objects.select_for_update().filter(household=household, ended_at__isnull=True).first()
    member_id = member.pk if member is not None else None
    if same_account(current, bank_code, verdict, member_id):
        assert current is not None
        return AccountChange(current, "unchanged", verdict.warnings)
    new = Payee(
        household=household,
        member=member,
        bank_code=bank_code,
        account_number=verdict.account_number,
        account_holder=verdict.account_holder,
    )
    replace_accounts([(household, current, new)], actor=actor, source=source)
    payee = Payee.objects.get(household=household, ended_at__isnull=True)
    return AccountChange(payee, "updated" if current is not None else "inserted", verdict.warnings)


@service
def reveal_account(*, actor: User, payee: Payee) -> str:
    """A payee's full account number, and a record of who saw it."""
    if not selectors.may_set_account(actor, payee.household):
        raise Refused(_("You may not see full account numbers of this kelurahan."), code="forbidden")
    audit.record(
        actor=actor,
        action="payee.view_account",
        obj=payee,
        region_code=payee.household.kelurahan.code,
        object_repr=f"KK {payee.household.kk_number} {payee.masked_number}",
    )
    return payee.account_number


@service
def set_paying_account(*, actor: User, name: str, bank_code: str, account_number: str) -> PayingAccount:
    """Set the city's paying account (an administrator's step); the previous one stays as history."""
    if not actor.can(Capability.MANAGE_SETTINGS):
        raise Refused(_("Only an administrator may set the paying account."), code="forbidden")
    number = rules.normalise_number(account_number)
    name = rules.normalise_holder(name)
    problems = []
    if not name:
        problems.append(Problem("name", _("The account name is missing.")))
    if bank_code and banks.bank(bank_code) is None:
        problems.append(Problem("bank_code", _("Unknown bank code %(code)r.") % {"code": bank_code[:10]}))
    if not number or not number.isdigit() or not number.isascii() or len(number) > rules.MAX_NUMBER:
        problems.append(Problem("account_number", _("An account number has digits only (at most 34).")))
    if problems:
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    before = selectors.paying_account()
    account = PayingAccount.objects.create(name=name, bank_code=bank_code, account_number=number, set_by=actor)
    audit.record(
        actor=actor,
        action="settings.paying_account",
        obj=account,
        before={
            "name": before.name,
            "bank_code": before.bank_code,
            "account_number": rules.mask_account(before.account_number),
            "origin": before.origin,
        },
        after={"name": name, "bank_code": bank_code, "account_number": rules.mask_account(number)},
    )
    return account
