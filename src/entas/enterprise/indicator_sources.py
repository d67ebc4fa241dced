"""The enterprise module's indicator sources for monitoring (docs/monitoring.md, "Module sources"):
enterprise sits above monitoring in the layers, so it registers its numerators and denominators
here, from its AppConfig.ready, and monitoring never imports it."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.monitoring import sources

from . import rules
from .models import Grant, Group, Loan

SURVIVAL_MONTHS = 24


def survival_rows(months: int = SURVIVAL_MONTHS) -> list[sources.Row]:
    """Groups still trading ``months`` after their first assistance (grant or loan) / groups first
    assisted at least ``months`` ago, by kelurahan and year of first assistance (the same count as
    the empowerment results page, :func:`entas.enterprise.rules.survival`)."""
    today = timezone.localdate()
    first: dict[int, list] = defaultdict(list)
    for model, field in ((Grant, "handed_over_on"), (Loan, "disbursed_on")):
        for group, day in model.objects.values("group").annotate(first=Min(field)).values_list("group", "first"):
            if day is not None:
                first[group].append(day)
    out: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for pk, kelurahan, closed in Group.objects.filter(pk__in=list(first)).values_list(
        "pk", "kelurahan_id", "closed_on"
    ):
        started = min(first[pk])
        mark = rules.add_months(started, months)
        if mark > today:
            continue
        counts = out[(kelurahan, str(started.year))]
        counts[1] += 1
        if closed is None or closed > mark:
            counts[0] += 1
    return [(kel, period, n, d) for (kel, period), (n, d) in out.items()]


sources.register(
    "enterprise.survival_24m", _("Groups still trading 24 months after their first assistance / groups assisted")
)(survival_rows)
