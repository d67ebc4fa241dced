from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.monitoring import selectors
from entas.targeting import services
from entas.targeting.models import PmtModel


class Command(EntasCommand):
    actor_mode = "optional"
    no_actor = frozenset({"list"})

    help = (
        "Proxy-means models. 'entas pmt fit [--kind wls|gbm] [--year Y] [--line RP]' fits a versioned model on the "
        "latest survey round (variables from the registry records of the sampled households) and prints its "
        "cross-validated R² and targeting errors; 'entas pmt score --version N' scores every household of the "
        "registry (predicted consumption, score, city desil); 'entas pmt list' lists the versions."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fit = sub.add_parser("fit", help="Fit a model on a survey round.")
        fit.add_argument("--kind", choices=["wls", "gbm"], default="wls")
        fit.add_argument("--year", type=int, help="Survey year (default: the latest round).")
        fit.add_argument("--line", type=int, help="Poverty line for the error figures (default: the configured one).")
        score = sub.add_parser("score", help="Score the registry with a model version.")
        score.add_argument("--version", type=int, required=True, dest="model_version")
        sub.add_parser("list", help="The fitted versions and their cross-validated quality.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_fit(
        self, *, kind: str, year: int | None, line: int | None, actor: Any, as_json: bool, **options: Any
    ) -> None:
        survey = selectors.latest_survey(year)
        if survey is None:
            raise CommandError("No survey round is loaded: run 'entas import_survey FILE --year Y'.")
        if line is None:
            configured = selectors.poverty_line("national", survey.year)
            if configured is None:
                raise CommandError("No poverty line is configured: give --line or run 'entas load_poverty_lines'.")
            line = configured.rupiah_per_capita_month
        model = services.fit_model(survey=survey, kind=kind, line=line, actor=actor)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"version": model.version, "kind": model.kind, **model.metrics, "training": model.training},
                    indent=2,
                )
            )
            return
        cv = model.metrics["cross_validated"]
        self.stdout.write(f"PMT v{model.version} ({model.kind}) on {survey}: {model.training['households']} households")
        self.stdout.write(f"  out-of-sample R² of log consumption: {cv['r2']:.3f}")
        for label, key in (("at the poverty line", "at_line"), ("poorest 40 %", "at_p40")):
            e = cv[key]
            self.stdout.write(
                f"  {label}: exclusion error {100 * e['exclusion_error']:.1f} %, "
                f"inclusion error {100 * e['inclusion_error']:.1f} %"
            )

    def do_score(self, *, model_version: int, actor: Any, as_json: bool, **options: Any) -> None:
        model = PmtModel.objects.filter(version=model_version).first()
        if model is None:
            raise CommandError(f"No PMT model version {model_version}: see 'entas pmt list'.")
        summary = services.score_registry(model=model, actor=actor)
        self.emit(
            {"version": model.version, **summary},
            f"{summary['households']:,} households scored with PMT v{model.version}; people per desil: "
            f"{summary['desil_people']}",
            as_json=as_json,
        )

    def do_list(self, **options: Any) -> None:
        for model in PmtModel.objects.all():
            cv = model.metrics.get("cross_validated", {})
            self.stdout.write(
                f"v{model.version}\t{model.kind}\t{model.survey}\tR² {cv.get('r2', 0):.3f}\t"
                f"{model.fitted_at:%Y-%m-%d %H:%M}\t{model.scores.count()} scores"
            )
