from __future__ import annotations

import csv
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.core.cli import EntasCommand


class Command(EntasCommand):
    help = (
        "Registry analytics on Spark over the partitioned Parquet export (entas export parquet), for a "
        "registry beyond one database (the optional spark extra; docs/scaling.md). 'entas spark score "
        "--parquet DIR --out DIR [--model V]' scores every household with a WLS PMT model (its stored "
        "coefficients) and ranks the desil, writing Parquet (household_id, kabupaten, kelurahan, size, "
        "score, predicted_consumption, desil); 'entas spark indicators --parquet DIR [--indicator CODE …] "
        "[--out FILE.csv]' counts registry indicators' numerators and denominators by kelurahan. Spark "
        "runs where ENTAS_SPARK_MASTER says (default local[2])."
    )
    actor_mode = "optional"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        score = sub.add_parser("score")
        score.add_argument("--parquet", type=Path, required=True, help="The folder of the partitioned export.")
        score.add_argument("--out", type=Path, required=True, help="Folder for the scores (Parquet).")
        score.add_argument("--model", type=int, help="PMT model version (default: the one the city uses).")
        indicators = sub.add_parser("indicators")
        indicators.add_argument("--parquet", type=Path, required=True, help="The folder of the partitioned export.")
        indicators.add_argument(
            "--indicator", action="append", default=[], help="Indicator code (repeatable; default: every registry one)."
        )
        indicators.add_argument("--out", type=Path, help="Write indicator, kelurahan, numerator, denominator (CSV).")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **o: Any) -> None:
        from entas.core import spark

        if not spark.available():
            raise CommandError(
                _(
                    "Spark is not installed: install the optional extra (make install-spark, or pip install "
                    "-c constraints.txt -r requirements-spark.txt) and Java 17 or newer."
                )
            )
        if not o["parquet"].is_dir():
            raise CommandError(_("No export folder at %(path)s.") % {"path": o["parquet"]})
        from entas.targeting import spark as targeting_spark

        start = time.perf_counter()
        session = spark.session()
        rows = targeting_spark.read_export(session, str(o["parquet"]))
        today = timezone.localdate()
        result = self._score(rows, o, today) if action == "score" else self._indicators(rows, o, today)
        result["seconds"] = round(time.perf_counter() - start, 1)
        self.emit(result, " ".join(f"{k}={v}" for k, v in result.items()), as_json=as_json)

    def _score(self, rows: Any, o: dict[str, Any], today: Any) -> dict[str, Any]:
        from entas.targeting import spark as targeting_spark
        from entas.targeting.models import PmtModel
        from entas.targeting.services import latest_scored_model

        model = PmtModel.objects.filter(version=o["model"]).first() if o["model"] else latest_scored_model()
        if model is None:
            raise CommandError(_("No PMT model to score with: fit one and score the registry first, or name --model."))
        try:
            design, coefficients = targeting_spark.model_terms(model)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        scored = targeting_spark.score(rows, design=design, coefficients=coefficients, today=today).cache()
        scored.write.mode("error").partitionBy("kabupaten").parquet(str(o["out"]))
        people = targeting_spark.desil_people(scored)
        households = scored.count()
        scored.unpersist()
        return {
            "model": model.version,
            "households": households,
            "people": sum(people),
            "desil_people": people,
            "out": str(o["out"]),
        }

    def _indicators(self, rows: Any, o: dict[str, Any], today: Any) -> dict[str, Any]:
        from entas.monitoring import spark as monitoring_spark
        from entas.monitoring.models import Indicator

        chosen = Indicator.objects.filter(kind=Indicator.Kind.REGISTRY).order_by("code")
        if o["indicator"]:
            chosen = chosen.filter(code__in=o["indicator"])
            missing = set(o["indicator"]) - set(chosen.values_list("code", flat=True))
            if missing:
                raise CommandError(_("Unknown registry indicator: %(codes)s") % {"codes": ", ".join(sorted(missing))})
        indicators = list(chosen)
        if not indicators:
            raise CommandError(_("There is no registry indicator to compute."))
        try:
            counts = monitoring_spark.counts(rows, indicators, today=today)
        except monitoring_spark.RuleError as exc:
            raise CommandError(str(exc)) from exc
        if o["out"]:
            with o["out"].open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["indicator", "kelurahan", "numerator", "denominator"])
                for code, by_kelurahan in sorted(counts.items()):
                    for kelurahan, (n, d) in sorted(by_kelurahan.items()):
                        writer.writerow([code, kelurahan, f"{n:g}", f"{d:g}"])
        totals = {
            code: [sum(n for n, _d in by.values()), sum(d for _n, d in by.values())] for code, by in counts.items()
        }
        return {"indicators": len(counts), "totals": totals, **({"out": str(o["out"])} if o["out"] else {})}
