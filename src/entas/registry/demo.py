"""Registry activity for the demonstration city (``entas seed_demo``): a correction waiting for a
second person, so the change-request queue and a household's history do not open empty."""

from __future__ import annotations

from entas.accounts.models import User

from . import services
from .choices import Relationship
from .models import ChangeRequest, Household

DEMO_KELURAHAN = "64.71.01.1001"  # Manggar, the demo operator op.manggar's area


def seed_activity() -> int:
    """One pending correction of a child's schooling, asked by op.manggar (idempotent); returns how
    many requests were filed (0 when one exists or the demo users or families are missing)."""
    if ChangeRequest.objects.filter(kind=ChangeRequest.Kind.CORRECT_MEMBER).exists():
        return 0
    operator = User.objects.filter(username="op.manggar").first()
    household = (
        Household.objects.filter(kelurahan__code=DEMO_KELURAHAN, members__relationship=Relationship.CHILD)
        .order_by("pk")
        .first()
    )
    if operator is None or household is None:
        return 0
    child = household.members.filter(relationship=Relationship.CHILD, exited_on__isnull=True).order_by("pk").first()
    if child is None:
        return 0
    payload = services.correction_payload(child, {"name": f"{child.name} (koreksi)"})
    services.request_change(
        actor=operator,
        household=household,
        kind=ChangeRequest.Kind.CORRECT_MEMBER,
        payload=payload,
        reason="Nama sesuai akta kelahiran (contoh demo)",
    )
    return 1
