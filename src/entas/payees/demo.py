"""Synthetic bank accounts for the demonstration (``entas seed_demo``): most households that a
programme would pay get an account at one of the city's banks, in the head's name; about one in ten
has none, and one has a number of the wrong length (as an old list would have left it), so the cycle
page and the household pages show every case. Never for production."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from entas.registry.choices import Relationship
from entas.registry.models import Household, Member

from . import banks
from .models import Payee

# (bank code, digits): the city's usual banks, at a length of the banks table
DEMO_BANKS = [("002", 15), ("008", 13), ("009", 10), ("451", 10), ("124", 12), ("014", 10)]


def likely_recipients(limit: int = 5000) -> list[int]:
    """Households a cash programme would pay when the demo has no enrolment yet: the poorest desils."""
    return list(
        Household.objects.filter(desil_city__lte=4).order_by("desil_city", "pk").values_list("pk", flat=True)[:limit]
    )


def seed_accounts(households: Iterable[int]) -> dict[str, int]:
    """Give accounts to these households (those that have none): nine in ten, one with a bad length."""
    ids = sorted(set(households))
    have = set(Payee.objects.filter(household_id__in=ids, ended_at__isnull=True).values_list("household_id", flat=True))
    heads = dict(
        Member.objects.filter(household_id__in=ids, relationship=Relationship.HEAD, exited_on__isnull=True).values_list(
            "household_id", "name"
        )
    )
    now = timezone.now()
    new: list[Payee] = []
    skipped = 0
    for household in ids:
        if household in have:
            continue
        if household % 10 == 9:  # about one in ten: no account yet (the same ones on every run)
            skipped += 1
            continue
        code, digits = DEMO_BANKS[household % len(DEMO_BANKS)]
        assert banks.bank(code) is not None
        number = str(7 * 10 ** (digits - 1) + household * 7919 % 10 ** (digits - 2)).zfill(digits)
        new.append(
            Payee(
                household_id=household,
                bank_code=code,
                account_number=number,
                account_holder=heads.get(household, "")[:70] or f"KK {household}",
                created_at=now,
                source="demo",
            )
        )
    if new and not have:
        bad = new[0]  # one account of the wrong length: Mandiri numbers have 13 digits
        bad.bank_code, bad.account_number = "008", bad.account_number[:12].rjust(12, "1")
    Payee.objects.bulk_create(new, batch_size=2000)
    return {"accounts": len(new), "without_account": skipped, "bad_length": 1 if new and not have else 0}
