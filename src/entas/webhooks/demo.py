"""Demonstration webhooks (called by ``entas seed_demo`` once a synthetic city is loaded): the bank's
subscription, acting as the bank's service account, to approved cycles and failed payments, and the
deliveries of the registry's latest verifications recorded through the event mechanism, so that the
page and its delivery log do not open empty. The URL is under the reserved ``.example`` domain: the
worker's attempts fail and are retried with back-off, which the log then shows. Idempotent (nothing
is added once a demo subscription exists). Never for production."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from entas.core import events
from entas.registry.models import Household

from . import services
from .models import Subscription

if TYPE_CHECKING:
    from entas.accounts.models import User

URL = "https://bank-kaltimtara.example/entas-hook"


def seed(*, admin: User, owner: User) -> dict[str, Any]:
    if Subscription.objects.filter(url=URL).exists():
        return {}
    subscription, _secret = services.create_subscription(
        actor=admin,
        owner=owner,
        name="Bank Kaltimtara (demo)",
        url=URL,
        event_names=[events.HOUSEHOLD_CHANGED, events.CYCLE_APPROVED, events.PAYMENT_FAILED],
    )
    latest = list(
        Household.objects.filter(verified_at__isnull=False)
        .order_by("-verified_at", "-pk")
        .values_list("pk", "kelurahan__code")[:5]
    )
    services.record_events(
        [events.Event(events.HOUSEHOLD_CHANGED, "registry.household", pk, {"kelurahan": code, "change": "verify"})
         for pk, code in latest]
    )  # fmt: skip
    return {"subscriptions": 1, "deliveries": subscription.deliveries.count()}
