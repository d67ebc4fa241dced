"""Every write to, and every sensitive read of, the registry goes through here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from entas.core import audit

from .models import Household, Member

if TYPE_CHECKING:
    from entas.accounts.models import User


@transaction.atomic
def record_household_view(*, actor: User, household: Household) -> None:
    """Opening a household's page shows personal data: the view itself is audited (UU PDP)."""
    audit.record(actor=actor, action="household.view", obj=household, region_code=household.kelurahan.code)


@transaction.atomic
def reveal_nik(*, actor: User, member: Member) -> str:
    """Return a member's full NIK and record who saw it."""
    audit.record(
        actor=actor,
        action="member.view_nik",
        obj=member,
        region_code=member.household.kelurahan.code,
        object_repr=member.masked_nik,
    )
    return member.nik
