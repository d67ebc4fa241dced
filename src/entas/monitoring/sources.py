"""Indicator sources: named numerators and denominators that modules register with monitoring.

monitoring sits below enterprise and portal in the layers (docs/architecture.md), so an indicator
over a higher module cannot import it: the higher app registers a *source* from its
``AppConfig.ready`` instead, as it registers its menu entries and job kinds. Sources of the apps
below monitoring (training, payments) are registered here, by monitoring itself.

A source is a function of no arguments returning rows ``(kelurahan_id, period, numerator,
denominator)`` for every period it knows (``period`` is ``"YYYY"`` or ``"YYYY-MM"``); an indicator of
kind ``source`` names it in ``Indicator.source`` and the refresh aggregates its rows to kecamatan
and city.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.functional import Promise

Row = tuple[int, str, float, float]


@dataclass(frozen=True)
class Source:
    name: str
    label: str | Promise
    rows: Callable[[], Iterable[Row]]


_SOURCES: dict[str, Source] = {}


def register(name: str, label: str | Promise) -> Callable[[Callable[[], Iterable[Row]]], Callable[[], Iterable[Row]]]:
    """Register ``rows`` as the source ``name`` (a decorator)."""

    def decorate(function: Callable[[], Iterable[Row]]) -> Callable[[], Iterable[Row]]:
        _SOURCES[name] = Source(name, label, function)
        return function

    return decorate


def get(name: str) -> Source | None:
    return _SOURCES.get(name)


def names() -> list[str]:
    return sorted(_SOURCES)


def _training_rows(months: int) -> list[Row]:
    from django.db.models import Count, Q
    from django.db.models.functions import ExtractYear

    from entas.training.models import Completion

    rows = (
        Completion.objects.filter(outcome="completed")
        .annotate(year=ExtractYear("ended_on"))
        .values("application__kelurahan_id", "year")
        .annotate(
            done=Count("pk"),
            placed=Count(
                "application__tracer_results",
                filter=Q(
                    application__tracer_results__months=months,
                    application__tracer_results__employment__in=["wage", "self"],
                ),
            ),
        )
    )
    return [(r["application__kelurahan_id"], str(r["year"]), float(r["placed"]), float(r["done"])) for r in rows]


RECONCILE_DAYS = 14


def _payment_rows(days: int = RECONCILE_DAYS) -> list[Row]:
    """Payments reconciled within ``days`` of being issued / payments issued, by kelurahan and month of
    issue. A payment counts as reconciled when its cycle first became reconciled (every payment with
    the bank's result, the sums matching the control sum: the ``cycle.reconcile`` audit event that says
    so) after the payment was issued. A payment issued less than ``days`` ago and not yet reconciled
    is not counted yet (it may still make it)."""
    import bisect
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from entas.core.models import AuditEvent
    from entas.programs.models import Payment

    reconciled: dict[str, list[dt.datetime]] = defaultdict(list)
    events = AuditEvent.objects.filter(action="cycle.reconcile", object_type="programs.cycle").values_list(
        "object_id", "at", "after"
    )
    for cycle, at, after in events:
        if isinstance(after, dict) and after.get("reconciled"):
            reconciled[str(cycle)].append(at)
    for times in reconciled.values():
        times.sort()
    now = timezone.now()
    window = dt.timedelta(days=days)
    out: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    issued = (
        Payment.objects.values("entitlement__household__kelurahan_id", "entitlement__cycle_id", "created_at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in issued:
        created = row["created_at"]
        times = reconciled.get(str(row["entitlement__cycle_id"]), [])
        i = bisect.bisect_left(times, created)
        on_time = i < len(times) and times[i] - created <= window
        if not on_time and now - created < window:
            continue
        key = (row["entitlement__household__kelurahan_id"], f"{timezone.localtime(created):%Y-%m}")
        out[key][0] += row["n"] if on_time else 0
        out[key][1] += row["n"]
    return [(kel, period, n, d) for (kel, period), (n, d) in out.items()]


def _register_builtin() -> None:
    from django.utils.translation import gettext_lazy as _

    register("training.placed_6m", _("Trainees working 6 months after completing / trainees completed"))(
        lambda: _training_rows(6)
    )
    register("programs.reconciled_14d", _("Payments reconciled within 14 days of being issued / payments issued"))(
        _payment_rows
    )


_register_builtin()
