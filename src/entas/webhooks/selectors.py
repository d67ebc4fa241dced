"""Every read of the webhook pages and commands, scoped through the one entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from .models import Delivery, Subscription

if TYPE_CHECKING:
    from entas.accounts.models import User


def subscriptions_for(user: User) -> QuerySet[Subscription]:
    return (
        Subscription.objects.restrict(user, "view")
        .select_related("owner")
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED)),
            pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        )
    )


def deliveries_for(user: User) -> QuerySet[Delivery]:
    return Delivery.objects.restrict(user, "view").select_related("subscription").order_by("-pk")
