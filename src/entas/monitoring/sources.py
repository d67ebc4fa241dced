"""Indicator sources: named numerators and denominators that modules register with monitoring.

monitoring sits below enterprise and portal in the layers (docs/architecture.md), so an indicator
over a higher module cannot import it: the higher app registers a *source* from its
``AppConfig.ready`` instead, as it registers its menu entries and job kinds. Sources of the apps
below monitoring (training, programmes) are registered here, by monitoring itself.

A source is a function of no arguments returning rows ``(kelurahan_id, period, numerator,
denominator)`` for every period it knows (``period`` is ``"YYYY"`` or ``"YYYY-MM"``); an indicator of
kind ``source`` names it in ``Indicator.source`` and the refresh aggregates its rows to kecamatan
and city.
"""

from __future__ import annotations

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


def _register_builtin() -> None:
    from django.utils.translation import gettext_lazy as _

    register("training.placed_6m", _("Trainees working 6 months after completing / trainees completed"))(
        lambda: _training_rows(6)
    )


_register_builtin()
