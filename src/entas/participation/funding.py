"""The partners' contributions as the policy register's funding (registered with
:func:`entas.policy.selectors.add_funding_source` when the app starts): the cash and the value of the
goods delivered to each programme up to a day, counted under the source "partner contributions"."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, Sum

from . import choices as c
from .models import Contribution

MONEY = (c.ContributionKind.CASH, c.ContributionKind.IN_KIND)


def delivered(record_ids: list[int], day: dt.date) -> dict[int, int]:
    """Delivered cash and goods by programme, up to ``day`` (a delivery without its date counts from the
    end of its year)."""
    rows = (
        Contribution.objects.filter(record_id__in=record_ids, kind__in=MONEY, delivered_value__gt=0)
        .filter(Q(delivered_on__lte=day) | Q(delivered_on__isnull=True, year__lt=day.year))
        .values("record_id")
        .annotate(total=Sum("delivered_value"))
        .order_by()
    )
    return {r["record_id"]: int(r["total"] or 0) for r in rows}
