from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.monitoring import engine, selectors, services


class Command(EntasCommand):
    help = (
        "Indicators (docs/monitoring.md). 'entas indicator load FILE.yaml --as USER' loads definitions, official "
        "values, the results framework and alert rules (docs/examples/indicators-balikpapan.yaml); 'entas indicator "
        "refresh [--full]' recomputes the facts (incrementally by default) and evaluates the alerts; 'entas indicator "
        "values CODE [--area CODE] [--period P] [--by DIM] --json' prints computed values."
    )
    actor_mode = "optional"
    no_actor = frozenset({"refresh", "values", "list"})

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load indicators from a YAML file.")
        load.add_argument("file", type=Path)
        refresh = sub.add_parser("refresh", help="Recompute the facts table.")
        refresh.add_argument("--full", action="store_true", help="Recompute everything, not only what changed.")
        values = sub.add_parser("values", help="Print an indicator's values.")
        values.add_argument("code")
        values.add_argument("--area", default="", help="Area code (default: the city).")
        values.add_argument("--period", default="", help="Only this period (YYYY or YYYY-MM).")
        values.add_argument("--by", default="", help="A disaggregation: sex, age_band, desil, disability, or 'area'.")
        sub.add_parser("list", help="List the indicators.")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        getattr(self, f"do_{action}")(actor=actor, as_json=as_json, **options)

    def do_load(self, *, file: Path, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        from entas.core.errors import Refused

        try:
            counts = services.load_indicators(data=services.read_indicator_file(text), actor=actor)
        except Refused as exc:
            lines = [exc.message, *(f"  {p.field}: {p.message}" for p in exc.issues)]
            raise CommandError("\n".join(lines)) from exc
        self.emit(counts, ", ".join(f"{k}: {v}" for k, v in counts.items()), as_json=as_json)

    def do_refresh(self, *, full: bool, as_json: bool, **options: Any) -> None:
        summary = engine.refresh(full=full)
        result = summary.as_dict()
        text = (
            f"{'Full' if summary.full else 'Incremental'} refresh: {summary.facts_written} facts written, "
            f"{summary.kelurahan_recomputed} kelurahan recomputed, {summary.alerts_raised} alerts, "
            f"{summary.seconds:.2f} s."
        )
        self.emit(result, text, as_json=as_json)

    def do_values(
        self, *, code: str, area: str, period: str, by: str, actor: Any, as_json: bool, **options: Any
    ) -> None:
        from entas.monitoring.models import Fact

        indicator = selectors.indicator(code)
        region = selectors.area_for(actor, area or None)
        qs = Fact.objects.filter(indicator=indicator).select_related("area")
        if by == "area":
            qs = qs.filter(area__parent=region, dimension="")
        elif by:
            qs = qs.filter(area=region, dimension=by)
        else:
            qs = qs.filter(area=region, dimension="")
        if period:
            qs = qs.filter(period=period)
        rows = [
            {
                "area": f.area.code,
                "name": f.area.name,
                "period": f.period,
                "dimension": f.dimension,
                "category": f.category,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "value": f.value,
                "se": f.se,
                "version": f.version,
                "confirmed": f.confirmed,
            }
            for f in qs.order_by("period", "area__code", "dimension", "category")
        ]
        result = {"indicator": indicator.code, "name": indicator.name, "version": indicator.version, "values": rows}
        text = "\n".join(
            f"{r['period']}  {r['area']:<14} {r['category'] or '':<8} "
            f"{'–' if r['value'] is None else format(r['value'], '.3f')}"
            + ("" if r["se"] is None else f" ± {r['se']:.3f}")
            for r in rows
        )
        self.emit(result, text or "No values.", as_json=as_json)

    def do_list(self, *, as_json: bool, **options: Any) -> None:
        rows = [
            {"code": i.code, "name": i.name, "kind": i.kind, "version": i.version, "sdg": i.sdg}
            for i in selectors.indicators()
        ]
        self.emit(
            rows,
            "\n".join(f"{r['code']:<22} v{r['version']} {r['kind']:<9} {r['name']}" for r in rows),
            as_json=as_json,
        )
