from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand


class Command(EntasCommand):
    help = (
        "Small-area estimation (docs/monitoring.md): 'entas sae fit --indicator p0 --year Y [--json]' fits the "
        "Fay–Herriot model to the survey's kelurahan direct estimates with registry covariates and prints, per "
        "kelurahan, the direct estimate and SE, the EBLUP, its RMSE and CV, the shrinkage factor and the estimate "
        "benchmarked to the city's direct estimate."
    )
    actor_mode = "optional"
    no_actor = frozenset({"fit"})

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fit = sub.add_parser("fit", help="Fit the Fay–Herriot model.")
        fit.add_argument("--indicator", default="p0", help="The poverty measure (p0).")
        fit.add_argument("--year", type=int, default=None, help="Survey year (default: the latest).")
        fit.add_argument("--method", default="REML", choices=["REML", "ML"])

    def handle(
        self, *args: Any, action: str, as_json: bool, indicator: str, year: int | None, method: str, **options: Any
    ) -> None:
        from entas.monitoring import smallarea

        if indicator.lower() not in {"p0", "sdg-1-2-1"}:
            raise CommandError("Only the headcount (p0) is estimated for small areas.")
        result = smallarea.fit_p0(year, method=method)
        lines = [
            f"Survey {result.year}: city direct P0 {result.city_direct:.2f} % (SE {result.city_se:.2f}); "
            f"sigma2_u {result.fit.sigma2_u:.4f}, {result.fit.iterations} iterations",
            f"{'kelurahan':<24} {'direct':>7} {'se':>6} {'eblup':>7} {'rmse':>6} {'cv':>6} {'gamma':>6} {'bench':>7}",
        ]
        for r in result.rows:
            direct = "" if r["direct"] is None else format(r["direct"], ".2f")
            se = "" if r["direct_se"] is None else format(r["direct_se"], ".2f")
            cv = "" if r["cv"] is None else format(100 * r["cv"], ".0f") + "%"
            lines.append(
                f"{r['name'][:24]:<24} {direct:>7} {se:>6} {r['eblup']:>7.2f} {r['rmse']:>6.2f} {cv:>6} "
                f"{r['gamma']:>6.2f} {r['benchmarked']:>7.2f}" + ("  UNRELIABLE" if r["unreliable"] else "")
            )
        self.emit(result.as_dict(), "\n".join(lines), as_json=as_json)
