"""Every read of the interoperability pages, scoped through the one entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from entas.programs.models import Cycle

from .models import CallerSystem, Exchange, SigningKey, Subscription, Transaction

if TYPE_CHECKING:
    from entas.accounts.models import User


def exchanges_for(user: User) -> QuerySet[Exchange]:
    return Exchange.objects.restrict(user, "view").select_related("actor", "job").order_by("-created_at", "-id")


def callers_for(user: User) -> QuerySet[CallerSystem]:
    return CallerSystem.objects.restrict(user, "view").select_related("service_user")


def keys_for(user: User) -> QuerySet[SigningKey]:
    return SigningKey.objects.restrict(user, "view")


def transactions_for(user: User) -> QuerySet[Transaction]:
    return Transaction.objects.restrict(user, "view").select_related("caller").defer("request", "response", "ack")


def subscriptions_for(user: User) -> QuerySet[Subscription]:
    return Subscription.objects.restrict(user, "view").select_related("caller")


def reconcilable_cycles(user: User) -> Any:
    """The cycles a bank statement can reconcile: disbursed (or reconciled, for a late statement)."""
    return (
        Cycle.objects.restrict(user, "view")
        .filter(state__in=["disbursed", "reconciled"])
        .select_related("programme")
        .order_by("-pk")
    )
