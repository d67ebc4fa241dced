from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.money import format_rupiah
from entas.monitoring import selectors


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Print the poverty profile (P0, P1, P2, number of poor, Gini, extreme poverty, with standard errors and 95 %% "
        "intervals) per kecamatan or kelurahan and for the city, from the latest survey round. Without --line, the "
        "city's latest configured poverty line is used. --json prints the same as JSON."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--source",
            choices=["survey", "registry"],
            default="survey",
            help="survey: a survey round with observed consumption (estimates with standard errors); "
            "registry: every registered household by its PMT-predicted consumption (model-based, non-official).",
        )
        parser.add_argument("--line", type=float, help="Poverty line, Rp per capita per month.")
        parser.add_argument("--by", choices=["kecamatan", "kelurahan"], default="kecamatan")
        parser.add_argument("--year", type=int, help="Survey year (default: the latest round).")

    def handle(
        self, *args: Any, source: str, line: float | None, by: str, year: int | None, as_json: bool, **options: Any
    ) -> None:
        survey = selectors.latest_survey(year)
        if source == "survey" and survey is None:
            raise CommandError(
                "No survey round is loaded"
                + (f" for {year}" if year else "")
                + ": run 'entas import_survey FILE --year Y' (entas synth writes survey.csv)."
            )
        period = survey.year if survey else year
        national = selectors.poverty_line("national", period)
        if line is None:
            if national is None:
                raise CommandError("No poverty line is configured: give --line or run 'entas load_poverty_lines'.")
            line = float(national.rupiah_per_capita_month)
        if line <= 0:
            raise CommandError("--line must be a positive amount in Rp per capita per month.")
        extreme = selectors.poverty_line("extreme", period)
        extreme_line = float(extreme.rupiah_per_capita_month) if extreme else None
        try:
            if source == "registry":
                total, areas, model = selectors.registry_profile_for(
                    options.get("actor"), line=line, by=by, extreme_line=extreme_line
                )
                origin = f"the registry scored by PMT v{model.version} (model-based, non-official; no sampling error)"
            else:
                assert survey is not None
                total, areas = selectors.profile_for(
                    options.get("actor"), survey=survey, line=line, by=by, extreme_line=extreme_line
                )
                origin = str(survey)
        except Refused as exc:
            raise CommandError(str(exc)) from exc
        meta = {
            "source": source,
            "survey": origin,
            "line": line,
            "by": by,
            "extreme_line": extreme.rupiah_per_capita_month if extreme else None,
            "extreme_line_confirmed": extreme.confirmed if extreme else None,
        }
        if as_json:
            self.stdout.write(json.dumps(selectors.profile_as_dict(total, areas, **meta), indent=2))
            return
        self.stdout.write(f"Poverty profile from {origin}, line {format_rupiah(round(line))} per capita per month")
        if extreme:
            flag = "" if extreme.confirmed else " (UNCONFIRMED)"
            self.stdout.write(
                f"Extreme poverty line: {extreme.name}, {format_rupiah(extreme.rupiah_per_capita_month)}{flag}"
            )
        header = (
            f"{'area':<26}{'P0 %':>8}{'± SE':>7}{'95% CI':>16}{'P1':>7}{'P2':>7}{'poor':>9}{'Gini':>7}{'extreme %':>10}"
        )
        self.stdout.write(header)
        for a in [*areas, total]:
            name = a.name or "Kota (total)"
            gini = f"{a.gini.value:.3f}" if a.gini else "–"
            extreme_p0 = f"{100 * a.extreme_p0.value:.2f}" if a.extreme_p0 else "–"
            self.stdout.write(
                f"{name:<26}{100 * a.p0.value:>8.2f}{100 * a.p0.se:>7.2f}"
                f"{f'{max(0.0, 100 * a.p0.ci_low):.2f}–{100 * a.p0.ci_high:.2f}':>16}{100 * a.p1.value:>7.2f}"
                f"{100 * a.p2.value:>7.2f}{a.poor:>9,.0f}{gini:>7}{extreme_p0:>10}"
            )
        self.stdout.write("P0 in percent; P1 and P2 on the BPS scale (×100).")
